"""FastAPI twin of scalelab's catalog GET /products/{productId} (hw5), a peer
for bench/shop_catalog.sh. Same generated products (ids 1..100000, same
fields and formulas), same validation (int32 >= 1 else 400 in the contract's
Error shape), 404 for an unknown id, posted details kept in memory.

Run (one worker, no access log):
    /usr/bin/python3 -m uvicorn --app-dir bench/peers/fastapi_catalog app:app \
        --host 127.0.0.1 --port 8083 --workers 1 --no-access-log
"""

import threading
from typing import Dict

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, StrictInt, conint, constr

PRODUCT_COUNT = 100_000
BRANDS = ["Acme", "Globex", "Initech", "Umbrella", "Stark"]
CATEGORIES = 7
INT32_MAX = 2**31 - 1


class Product(BaseModel):
    product_id: conint(strict=True, ge=1, le=INT32_MAX)  # type: ignore[valid-type]
    sku: constr(strict=True, min_length=1, max_length=100)  # type: ignore[valid-type]
    manufacturer: constr(strict=True, min_length=1, max_length=200)  # type: ignore[valid-type]
    category_id: conint(strict=True, ge=1, le=INT32_MAX)  # type: ignore[valid-type]
    weight: conint(strict=True, ge=0, le=INT32_MAX)  # type: ignore[valid-type]
    some_other_id: conint(strict=True, ge=1, le=INT32_MAX)  # type: ignore[valid-type]


def generated(i: int) -> Product:
    return Product(product_id=i, sku=f"SKU-{i:06d}", manufacturer=BRANDS[i % len(BRANDS)],
                   category_id=i % CATEGORIES + 1, weight=100 + (i * 37) % 5000,
                   some_other_id=1 + (i * 7919) % 1000)


_lock = threading.Lock()
_details: Dict[int, Product] = {}

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


def api_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": code, "message": message})


@app.get("/health")
async def health():
    return {"status": "ok"}


@app.get("/products/{product_id}", response_model=Product)
async def get_product(product_id: str):
    if not product_id.isdigit() or not 1 <= int(product_id) <= INT32_MAX:
        return api_error(400, "INVALID_INPUT", f"productId must be an integer in [1, {INT32_MAX}]")
    pid = int(product_id)
    with _lock:
        stored = _details.get(pid)
    if stored is not None:
        return stored
    if pid > PRODUCT_COUNT:
        return api_error(404, "NOT_FOUND", "product not found")
    return generated(pid)
