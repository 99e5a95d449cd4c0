# Locust peer for bench/load_generators.sh: FastHttpUser (geventhttpclient),
# no wait between requests, GET of one path (LOAD_PATH, default /albums/1).
import os

from locust import FastHttpUser, constant, task


class Fetch(FastHttpUser):
    wait_time = constant(0)
    path = os.environ.get("LOAD_PATH", "/albums/1")

    @task
    def get(self):
        self.client.get(self.path)
