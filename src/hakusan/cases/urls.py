from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/status/", views.change_status, name="status"),
    path("<int:pk>/members/", views.add_member, name="add_member"),
    path("<int:pk>/tasks/", views.add_task, name="add_task"),
    path("<int:pk>/tasks/<int:task_pk>/", views.update_task, name="update_task"),
    path("<int:pk>/ransomware/", views.update_ransomware, name="ransomware"),
    path("<int:pk>/notes/", views.add_note, name="add_note"),
    path("<int:pk>/observables/", views.link_observable, name="link_observable"),
]
