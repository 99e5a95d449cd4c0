// orders (hw7, the flash sale), docs/orders.md. The service in layers:
//   model.h     the order, its status and transitions, request validation (pure)
//   record.h    the stored records, their codec, load/transition on the store
//   payments.h  the payment processor (bounded slots, fixed verification time)
//   accept.h    the use cases: accept an order synchronously or via the queue
//   routes.h    the HTTP service (POST /orders/sync, POST /orders/async, GET /orders/{id})
//   process.h   the queue topology and the processing rule of a queued order
//   worker.h    the queue worker
//   audit.h     the counting check at the end of a run
// This header includes them all, for the hosts (app/, lab/).
#pragma once

#include "services/orders/accept.h"
#include "services/orders/audit.h"
#include "services/orders/model.h"
#include "services/orders/payments.h"
#include "services/orders/process.h"
#include "services/orders/record.h"
#include "services/orders/routes.h"
#include "services/orders/worker.h"
