#!/usr/bin/env python3
"""Writes src/services/shop/openapi.cpp: the shop's OpenAPI contract (hw5, hw6
search, and scalelab's documented extensions) embedded as JSON text.
Run after editing the dict below; the output is committed."""
import json, pathlib

def err(desc): return {"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
def body(ref): return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}
def ok(desc, ref): return {"description": desc, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}
def int32(minimum): return {"type": "integer", "format": "int32", "minimum": minimum}
def idparam(name): return {"name": name, "in": "path", "required": True, "schema": int32(1)}
E400, E404, E500, E503 = err("Invalid input"), err("Not found"), err("Internal error"), err("Store or downstream unavailable (scalelab)")

spec = {
  "openapi": "3.0.3",
  "info": {"title": "scalelab shop (CS6650 hw5 contract + hw6 search)", "version": "1.0.0",
           "description": "Served by every shop service. Extensions beyond the course contract are marked x-scalelab; see docs/shop.md."},
  "paths": {
    "/products/{productId}": {"get": {"operationId": "getProduct", "parameters": [idparam("productId")],
        "responses": {"200": ok("Product", "Product"), "400": E400, "404": E404, "500": E500, "503": E503}}},
    "/products/{productId}/details": {"post": {"operationId": "addProductDetails", "parameters": [idparam("productId")],
        "requestBody": body("Product"),
        "responses": {"204": {"description": "Details stored (upsert)"}, "400": E400, "404": E404, "415": err("Content-Type is not application/json"), "500": E500, "503": E503}}},
    "/products/search": {"get": {"operationId": "searchProducts",
        "parameters": [{"name": "q", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1, "maxLength": 100}}],
        "responses": {"200": ok("At most 20 matches among exactly 100 products checked", "SearchResult"), "400": E400}}},
    "/shopping-carts": {"post": {"operationId": "createShoppingCart", "requestBody": body("CreateCart"),
        "responses": {"201": ok("Created", "CartCreated"), "400": E400, "500": E500, "503": E503}}},
    "/shopping-carts/{shoppingCartId}": {"get": {"operationId": "getShoppingCart", "x-scalelab": True, "parameters": [idparam("shoppingCartId")],
        "responses": {"200": ok("The cart with product details", "Cart"), "400": E400, "404": E404, "503": E503}}},
    "/shopping-carts/{shoppingCartId}/items": {"post": {"operationId": "addItemsToCart", "parameters": [idparam("shoppingCartId")],
        "requestBody": body("CartItem"),
        "responses": {"204": {"description": "Added"}, "400": E400, "404": E404, "409": err("Cart already checked out (scalelab)"), "500": E500, "503": E503}}},
    "/shopping-carts/{shoppingCartId}/checkout": {"post": {"operationId": "checkoutCart", "parameters": [idparam("shoppingCartId")],
        "requestBody": body("CheckoutRequest"),
        "responses": {"200": ok("Order placed", "OrderCreated"), "400": E400, "402": err("Payment declined (scalelab)"),
                      "404": E404, "409": err("Insufficient stock or checkout in progress (scalelab)"), "500": E500, "503": E503}}},
    "/warehouse/reserve": {"post": {"operationId": "reserveInventory", "requestBody": body("InventoryRequest"),
        "responses": {"204": {"description": "Reserved"}, "400": E400, "404": E404, "409": err("Insufficient stock (scalelab: INSUFFICIENT_STOCK)"), "500": E500, "503": E503}}},
    "/warehouse/ship": {"post": {"operationId": "shipProduct", "requestBody": body("InventoryRequest"),
        "responses": {"204": {"description": "Shipped"}, "400": E400, "404": E404, "409": err("More than reserved (scalelab: NOT_RESERVED)"), "500": E500, "503": E503}}},
    "/warehouse/release": {"post": {"operationId": "releaseReservation", "x-scalelab": True, "requestBody": body("InventoryRequest"),
        "responses": {"204": {"description": "Returned to stock"}, "400": E400, "404": E404, "409": err("More than reserved"), "503": E503}}},
    "/warehouse/stock/{productId}": {"get": {"operationId": "getStock", "x-scalelab": True, "parameters": [idparam("productId")],
        "responses": {"200": ok("Stock", "Stock"), "400": E400, "404": E404, "503": E503}}},
    "/payments/checkout": {"post": {"operationId": "processPayment", "requestBody": body("PaymentRequest"),
        "responses": {"200": ok("Charged (idempotent per shopping_cart_id)", "PaymentResult"), "400": E400, "402": err("Declined"),
                      "404": E404, "500": E500, "503": E503}}},
  },
  "components": {"schemas": {
    "Product": {"type": "object", "required": ["product_id", "sku", "manufacturer", "category_id", "weight", "some_other_id"],
        "properties": {"product_id": int32(1), "sku": {"type": "string", "minLength": 1, "maxLength": 100},
                       "manufacturer": {"type": "string", "minLength": 1, "maxLength": 200}, "category_id": int32(1),
                       "weight": int32(0), "some_other_id": int32(1)}},
    "SearchProduct": {"type": "object", "properties": {"id": int32(1), "name": {"type": "string"}, "category": {"type": "string"},
                       "description": {"type": "string"}, "brand": {"type": "string"}}},
    "SearchResult": {"type": "object", "required": ["products", "total_found", "search_time"],
        "properties": {"products": {"type": "array", "maxItems": 20, "items": {"$ref": "#/components/schemas/SearchProduct"}},
                       "total_found": {"type": "integer"}, "search_time": {"type": "string"}, "products_checked": {"type": "integer"}}},
    "CreateCart": {"type": "object", "required": ["customer_id"], "properties": {"customer_id": int32(1)}},
    "CartCreated": {"type": "object", "required": ["shopping_cart_id"], "properties": {"shopping_cart_id": int32(1)}},
    "CartItem": {"type": "object", "required": ["product_id", "quantity"], "properties": {"product_id": int32(1), "quantity": int32(1)}},
    "Cart": {"type": "object", "properties": {"shopping_cart_id": int32(1), "customer_id": int32(1), "status": {"type": "string", "enum": ["open", "checking_out", "checked_out"]},
             "order_id": {"type": "string"}, "items": {"type": "array", "items": {"type": "object", "properties": {
                 "product_id": int32(1), "quantity": int32(1), "product": {"$ref": "#/components/schemas/Product"}}}}}},
    "CheckoutRequest": {"type": "object", "required": ["credit_card_number"],
        "properties": {"credit_card_number": {"type": "string", "pattern": "^[0-9]{13,19}$"}}},
    "OrderCreated": {"type": "object", "required": ["order_id"], "properties": {"order_id": {"type": "string"}}},
    "InventoryRequest": {"type": "object", "required": ["product_id", "quantity"], "properties": {"product_id": int32(1), "quantity": int32(1)}},
    "Stock": {"type": "object", "properties": {"product_id": int32(1), "available": {"type": "integer"}, "reserved": {"type": "integer"}}},
    "PaymentRequest": {"type": "object", "required": ["credit_card_number", "shopping_cart_id"],
        "properties": {"credit_card_number": {"type": "string", "pattern": "^[0-9]{13,19}$"}, "shopping_cart_id": int32(1)}},
    "PaymentResult": {"type": "object", "required": ["success", "transaction_id"], "properties": {"success": {"type": "boolean"}, "transaction_id": {"type": "string"}}},
    "Error": {"type": "object", "required": ["error", "message"], "properties": {"error": {"type": "string", "example": "INVALID_INPUT"},
              "message": {"type": "string"}, "details": {"type": "string"}}},
  }},
}
text = json.dumps(spec, separators=(",", ":"))
root = pathlib.Path(__file__).resolve().parent.parent
(root / "src/services/shop/openapi.cpp").write_text(
  "// Generated by scripts/gen_openapi.py: edit the script, not this file.\n"
  '#include "services/shop/openapi.h"\n\nnamespace scalelab::shop {\n\n'
  'std::string_view openapi_json() {\n  static constexpr std::string_view kJson = R"openapi(' + text + ')openapi";\n  return kJson;\n}\n\n}  // namespace scalelab::shop\n')
