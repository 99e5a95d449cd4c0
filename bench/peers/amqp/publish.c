/* The peer for bus throughput: a minimal rabbitmq-c publisher loop.
 * Publishes N persistent messages of SIZE bytes to a durable classic queue
 * (through the default exchange) with publisher confirms, awaiting the
 * confirms after every BATCH messages: the same work `scalelab mq-bench` does.
 * usage: publish HOST PORT N SIZE BATCH */
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void die(const char* what, amqp_rpc_reply_t r) {
  if (r.reply_type == AMQP_RESPONSE_NORMAL) return;
  fprintf(stderr, "%s failed (reply type %d, library error %d)\n", what, r.reply_type, r.library_error);
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s HOST PORT N SIZE BATCH\n", argv[0]);
    return 2;
  }
  const char* host = argv[1];
  int port = atoi(argv[2]);
  long n = atol(argv[3]);
  size_t size = (size_t)atol(argv[4]);
  long batch = atol(argv[5]);
  amqp_connection_state_t conn = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(conn);
  if (!socket || amqp_socket_open(socket, host, port) != AMQP_STATUS_OK) {
    fprintf(stderr, "cannot connect\n");
    return 1;
  }
  die("login", amqp_login(conn, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"));
  amqp_channel_open(conn, 1);
  die("channel.open", amqp_get_rpc_reply(conn));
  char queue[64];
  snprintf(queue, sizeof queue, "bench.peer.%ld", (long)time(NULL) ^ (long)getpid());
  amqp_queue_declare(conn, 1, amqp_cstring_bytes(queue), 0, 1, 0, 0, amqp_empty_table);
  die("queue.declare", amqp_get_rpc_reply(conn));
  amqp_confirm_select(conn, 1);
  die("confirm.select", amqp_get_rpc_reply(conn));
  char* body = malloc(size);
  memset(body, 'x', size);
  amqp_basic_properties_t props;
  memset(&props, 0, sizeof props);
  props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
  props.delivery_mode = 2;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  uint64_t tag = 0;
  for (long sent = 0; sent < n;) {
    long k = n - sent < batch ? n - sent : batch;
    for (long i = 0; i < k; ++i) {
      if (amqp_basic_publish(conn, 1, amqp_empty_bytes, amqp_cstring_bytes(queue), 0, 0, &props,
                             (amqp_bytes_t){size, body}) != AMQP_STATUS_OK) {
        fprintf(stderr, "publish failed\n");
        return 1;
      }
    }
    tag += (uint64_t)k;
    sent += k;
    uint64_t confirmed = 0;
    while (confirmed < tag) {
      amqp_frame_t frame;
      if (amqp_simple_wait_frame(conn, &frame) != AMQP_STATUS_OK) {
        fprintf(stderr, "connection lost\n");
        return 1;
      }
      if (frame.frame_type != AMQP_FRAME_METHOD) continue;
      if (frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
        amqp_basic_ack_t* a = frame.payload.method.decoded;
        if (a->delivery_tag > confirmed) confirmed = a->delivery_tag;
      } else if (frame.payload.method.id == AMQP_BASIC_NACK_METHOD) {
        fprintf(stderr, "nack\n");
        return 1;
      }
      amqp_maybe_release_buffers(conn);
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("rabbitmq-c peer: %ld persistent confirmed messages of %zu bytes in batches of %ld: %.3f s, %.0f msg/s\n", n,
         size, batch, secs, (double)n / secs);
  amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
  amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn);
  free(body);
  return 0;
}
