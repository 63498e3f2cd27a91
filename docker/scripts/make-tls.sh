#!/usr/bin/env bash
# Makes a throwaway CA and one certificate for every service name of docker/compose.yml (DNS SANs
# controller1..3, chunkserver1..5, localhost and 127.0.0.1), for docker/compose.tls.yml.
# Usage: docker/scripts/make-tls.sh [DIR]   (default docker/tls; real clusters use their own CA)
set -euo pipefail
dir="${1:-$(dirname "$0")/../tls}"
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 365 -subj '/CN=RedCloud docker CA' 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout node.key -out node.csr -subj '/CN=redcloud' 2>/dev/null
san="subjectAltName=DNS:localhost,IP:127.0.0.1"
for n in controller1 controller2 controller3 chunkserver1 chunkserver2 chunkserver3 chunkserver4 chunkserver5; do san="$san,DNS:$n"; done
echo "$san" > san.cnf
openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out node.pem -days 365 -extfile san.cnf 2>/dev/null
chmod 0644 ca.pem node.pem node.key   # read by the containers' user; keep the directory private
rm -f node.csr san.cnf ca.srl
echo "CA $dir/ca.pem, certificate $dir/node.pem, key $dir/node.key"
