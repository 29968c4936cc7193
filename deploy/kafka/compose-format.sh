#!/usr/bin/env bash
# docker-compose.yml's kafka-format job (apache/kafka image): formats the broker's storage once, with
# one SCRAM-SHA-512 user per principal, each password read from its Docker secret (never an argument
# written anywhere). --ignore-formatted: later runs change nothing. The broker itself starts afterwards.
set -euo pipefail
properties=$(mktemp)
cat > "$properties" <<PROPERTIES
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=SASL_SSL://:9092,CONTROLLER://localhost:9093
controller.listener.names=CONTROLLER
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT
log.dirs=${KAFKA_LOG_DIRS}
PROPERTIES
users=()
for principal in admin intake router notifier audit portal; do
  users+=(--add-scram "SCRAM-SHA-512=[name=${principal},password=$(cat "/run/secrets/kafka_${principal}_password")]")
done
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted -t "${CLUSTER_ID}" -c "$properties" "${users[@]}"
rm -f "$properties"
