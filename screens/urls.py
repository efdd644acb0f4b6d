from django.urls import path

from screens import views

app_name = "screens"

urlpatterns = [
    path("<str:token>/", views.screen_page, name="page"),
    path("<str:token>/data.json", views.screen_data, name="data"),
]
