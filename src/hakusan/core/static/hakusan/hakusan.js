/* Hakusan: the page behaviours that used to be inline attributes (the Content-Security-Policy
   allows scripts only from our static files). Declared in the markup with data- attributes:
     data-autosubmit  on a form control: submit its form when it changes (language selector)
     data-print       on a button: print the page (printable attribution report) */
(function () {
  "use strict";

  document.addEventListener("change", function (evt) {
    var control = evt.target.closest ? evt.target.closest("[data-autosubmit]") : null;
    if (control && control.form) {
      if (control.form.requestSubmit) { control.form.requestSubmit(); } else { control.form.submit(); }
    }
  });

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest ? evt.target.closest("[data-print]") : null;
    if (button) {
      evt.preventDefault();
      window.print();
    }
  });
})();
