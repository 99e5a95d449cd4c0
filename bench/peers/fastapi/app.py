"""FastAPI twin of scalelab's albums service (hw1), a peer for bench/http_peers.sh.

Run (one worker, no access log):
    /usr/bin/python3 -m uvicorn --app-dir bench/peers/fastapi app:app \
        --host 127.0.0.1 --port 8082 --workers 1 --no-access-log
"""

import threading
from typing import Dict, List, Optional, Union

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, StrictFloat, StrictInt, StrictStr, constr


class Album(BaseModel):
    id: constr(strict=True, min_length=1)  # type: ignore[valid-type]
    title: StrictStr
    artist: StrictStr
    # A JSON number, integer or not (as Go's float64 accepts); never a string.
    price: Union[StrictFloat, StrictInt]


class Store:
    """In-memory album store guarded by a mutex, like the real service."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._albums: Dict[str, Album] = {}

    def list(self) -> List[Album]:
        with self._lock:
            return list(self._albums.values())

    def get(self, album_id: str) -> Optional[Album]:
        with self._lock:
            return self._albums.get(album_id)

    def add(self, album: Album) -> bool:
        with self._lock:
            if album.id in self._albums:
                return False
            self._albums[album.id] = album
            return True


store = Store()
for seed in (
    Album(id="1", title="Blue Train", artist="John Coltrane", price=56.99),
    Album(id="2", title="Jeru", artist="Gerry Mulligan", price=17.99),
    Album(id="3", title="Sarah Vaughan and Clifford Brown", artist="Sarah Vaughan", price=39.99),
):
    store.add(seed)

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


def api_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": code, "message": message})


@app.exception_handler(RequestValidationError)
async def invalid_body(_request: Request, _exc: RequestValidationError) -> JSONResponse:
    return api_error(400, "INVALID_INPUT", "album needs id, title, artist and price")


@app.get("/health")
async def health():
    return {"status": "ok"}


@app.get("/albums", response_model=List[Album])
async def list_albums():
    return store.list()


@app.get("/albums/{album_id}", response_model=Album)
async def get_album(album_id: str):
    album = store.get(album_id)
    if album is None:
        return api_error(404, "NOT_FOUND", "album not found")
    return album


@app.post("/albums", status_code=201, response_model=Album)
async def create_album(album: Album):
    if not store.add(album):
        return api_error(409, "CONFLICT", f"album {album.id} already exists")
    return album
