#!/bin/bash
# The image's HEALTHCHECK: GET /health on this container's own port with
# bash's /dev/tcp (the image has no curl). Exit 0 on "HTTP/1.1 200".
set -u
exec 3<>"/dev/tcp/127.0.0.1/${SCALELAB_PORT:-8080}" || exit 1
printf 'GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
read -r -t 2 status_line <&3 || exit 1
[[ $status_line == "HTTP/1."?" 200"* ]]
