#!/bin/sh
# A stand-in app: says it is alive every second until stopped.
trap 'echo "example-app: stopping"; exit 0' TERM INT
echo "example-app: started in $(pwd)"
while :; do
  sleep 1 &
  wait $!
  echo "example-app: alive"
done
