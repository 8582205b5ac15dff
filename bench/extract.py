"""Extraction throughput: our extract() beside the peer extractors, on the same text.

    .venv/bin/python bench/extract.py [--mb 2] [--no-peers] [--doc-peers]

Builds about N MB of text by repeating the labelled corpus (tests/data/extraction), then
measures MB/s (UTF-8 bytes of input per second) in two shapes:
- per report: one call per corpus text, as intake runs it on each report;
- one document: a single call on all the text joined (ours always; peers with --doc-peers,
  as some of them slow down badly on long input).
Prints a table with the ratio ours/peer (how many times faster ours is).
"""

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.domain.observables.peers import load_corpus, ours, peers  # noqa: E402

console = Console()


def build_texts(megabytes: float) -> list[str]:
    corpus = [text for text, _ in load_corpus()]
    target = int(megabytes * 1_000_000)
    texts: list[str] = []
    size = 0
    while size < target:
        for text in corpus:
            texts.append(text)
            size += len(text.encode("utf-8"))
            if size >= target:
                break
    return texts


def per_report(extractor: Callable[[str], object], texts: list[str], progress: Progress) -> float:
    task = progress.add_task("  per report", total=len(texts))
    size = sum(len(t.encode("utf-8")) for t in texts)
    started = time.perf_counter()
    for i, text in enumerate(texts):
        extractor(text)
        if i % 500 == 0:
            progress.update(task, completed=i)
    elapsed = time.perf_counter() - started
    progress.remove_task(task)
    return size / elapsed / 1e6


def one_document(extractor: Callable[[str], object], document: str) -> float:
    started = time.perf_counter()
    extractor(document)
    return len(document.encode("utf-8")) / (time.perf_counter() - started) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=2.0, help="MB of text (default 2)")
    parser.add_argument("--no-peers", action="store_true", help="measure ours only")
    parser.add_argument("--doc-peers", action="store_true", help="peers on one document too")
    args = parser.parse_args()

    texts = build_texts(args.mb)
    document = "\n\n".join(texts)
    size = len(document.encode("utf-8")) / 1e6
    console.print(f"{len(texts):,} reports, {size:.2f} MB (UTF-8), repeated from the corpus")

    extractors: dict[str, Callable[[str], object]] = {"hakusan": ours}
    skipped: dict[str, str] = {}
    if not args.no_peers:
        for name, extractor in peers().items():
            if isinstance(extractor, str):
                skipped[name] = extractor
            else:
                extractors[name] = extractor

    results: dict[str, tuple[float, float | None]] = {}
    with Progress(console=console, transient=True) as progress:
        for name, run in extractors.items():
            progress.console.print(f"measuring {name}")
            run(texts[0])  # warm up (lazy imports, regex compilation)
            report_rate = per_report(run, texts, progress)
            doc_rate = None
            if name == "hakusan" or args.doc_peers:
                doc_rate = one_document(run, document)
            results[name] = (report_rate, doc_rate)

    ours_report, ours_doc = results["hakusan"]
    table = Table(title=f"Observable extraction throughput ({size:.2f} MB)")
    for column in ("extractor", "per report MB/s", "ours/peer", "one document MB/s", "ours/peer"):
        table.add_column(column, justify="right" if column != "extractor" else "left")
    for name, (report_rate, doc_rate) in results.items():
        doc_cell = f"{doc_rate:.2f}" if doc_rate is not None else "-"
        doc_ratio = (
            f"{ours_doc / doc_rate:.1f}x" if doc_rate is not None and ours_doc is not None else "-"
        )
        table.add_row(
            name, f"{report_rate:.2f}", f"{ours_report / report_rate:.1f}x", doc_cell, doc_ratio
        )
    console.print(table)
    for name, why in skipped.items():
        console.print(f"[yellow]{name} not measured: {why}")


if __name__ == "__main__":
    main()
