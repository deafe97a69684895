#!/usr/bin/env bash
# Builds the FileDescriptorSet that server reflection serves (src/wire/descriptor-set.ts), with
# every file under its real name and with its real imports:
#   proto/                      mysqlgateway/v1/{gateway,admin}.proto and google/protobuf/struct.proto
#   grpc-health-check's proto/  health/v1/health.proto (the file the health service is built from)
#   @grpc/reflection's proto/   grpc/reflection/{v1,v1alpha}/reflection.proto
#
#   scripts/build-descriptors.sh OUT.binpb        (make build writes dist/src/wire/descriptor-set.binpb)
#
# buf takes one input per run, so this runs it three times and concatenates the outputs: a
# FileDescriptorSet is one repeated field, and serialized messages concatenate into their merge.
set -euo pipefail

out=${1:?usage: build-descriptors.sh OUT.binpb}
repo_root=$(dirname -- "$(dirname -- "$(realpath -- "${BASH_SOURCE[0]}")")")
cd -- "$repo_root"
health=node_modules/grpc-health-check/proto
reflection=node_modules/@grpc/reflection/build/proto

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
build() { npx buf build --as-file-descriptor-set "$@"; }
build proto -o "$tmp/1.binpb" # buf includes imports (struct.proto) by default
build "$health" -o "$tmp/2.binpb"
build "$reflection" --path "$reflection/grpc/reflection" -o "$tmp/3.binpb"
mkdir -p -- "$(dirname -- "$out")"
cat "$tmp/1.binpb" "$tmp/2.binpb" "$tmp/3.binpb" >"$out.tmp"
mv -- "$out.tmp" "$out"
