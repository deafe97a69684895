#!/usr/bin/env python3
"""A strict server-reflection client, as grpcurl and Python's descriptor pool are strict.

    python3 strict_reflection_client.py HOST:PORT

From reflection alone, over both grpc.reflection.v1 and v1alpha: lists the services; for each one
fetches the file containing the service and, by file name, every file its `dependency` list names
(transitively); builds those files into a fresh descriptor pool that checks every reference
(the C++ pool of python3-protobuf); and resolves every message and enum type reachable from every
method. Also asks for an unknown symbol and an unknown file name, which must fail NOT_FOUND.

Prints one JSON line per reflection version ({"version", "services", "files", "types"}) and exits
0; on any failure prints what failed to stderr and exits 1. Needs Debian's python3-grpcio and
python3-grpc-tools (stubs for the reflection protos are generated from @grpc/reflection's own
.proto files into a temporary folder).
"""
import importlib
import json
import os
import subprocess
import sys
import tempfile

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool

HERE = os.path.dirname(os.path.abspath(__file__))
REFLECTION_PROTO_ROOT = os.path.join(
    HERE, "..", "..", "..", "node_modules", "@grpc", "reflection", "build", "proto")
VERSIONS = ("v1", "v1alpha")
NOT_FOUND = grpc.StatusCode.NOT_FOUND.value[0]


def generate_stubs(out_dir):
    # Rooted below grpc/ so that the generated package ("reflection") does not shadow grpcio's.
    files = [os.path.join("reflection", v, "reflection.proto") for v in VERSIONS]
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{os.path.join(REFLECTION_PROTO_ROOT, 'grpc')}",
                    f"--python_out={out_dir}", *files], check=True)
    sys.path.insert(0, out_dir)


class StrictClient:
    def __init__(self, channel, version):
        self.version = version
        self.pb = importlib.import_module(f"reflection.{version}.reflection_pb2")
        self.call = channel.stream_stream(
            f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
            request_serializer=self.pb.ServerReflectionRequest.SerializeToString,
            response_deserializer=self.pb.ServerReflectionResponse.FromString,
        )
        self.raw = {}  # file name -> serialized FileDescriptorProto, exactly as received

    def ask(self, **kwargs):
        (res,) = list(self.call(iter([self.pb.ServerReflectionRequest(**kwargs)]), timeout=10))
        return res

    def files_of(self, res, asked):
        kind = res.WhichOneof("message_response")
        if kind != "file_descriptor_response":
            raise SystemExit(f"[{self.version}] {asked}: expected files, got {kind}: {res}")
        out = []
        for raw in res.file_descriptor_response.file_descriptor_proto:
            fdp = descriptor_pb2.FileDescriptorProto.FromString(raw)
            self.raw.setdefault(fdp.name, raw)
            out.append(fdp)
        return out

    def fetch_closure(self, name):
        """Makes sure `name` and every file it depends on (by its dependency list) was received."""
        if name not in self.raw:
            got = self.files_of(self.ask(file_by_filename=name), f"file_by_filename {name}")
            if not got or got[0].name != name:
                raise SystemExit(f"[{self.version}] asked for file {name}, got {[f.name for f in got]}")
        for dep in descriptor_pb2.FileDescriptorProto.FromString(self.raw[name]).dependency:
            self.fetch_closure(dep)

    def add_to_pool(self, pool, name, added):
        """Adds `name` after its dependencies; the pool builds and cross-checks each file as added."""
        if name in added:
            return
        for dep in descriptor_pb2.FileDescriptorProto.FromString(self.raw[name]).dependency:
            self.add_to_pool(pool, dep, added)
        try:
            pool.AddSerializedFile(self.raw[name])
        except Exception as err:  # the pool's error names the unresolvable reference
            raise SystemExit(f"[{self.version}] descriptor pool refused {name}: {err}")
        added.add(name)

    def run(self):
        res = self.ask(list_services="*")
        services = sorted(s.name for s in res.list_services_response.service)
        if not services:
            raise SystemExit(f"[{self.version}] list_services returned nothing: {res}")
        pool = descriptor_pool.DescriptorPool()
        added, types = set(), set()
        for service in services:
            got = self.files_of(self.ask(file_containing_symbol=service), f"symbol {service}")
            self.fetch_closure(got[0].name)
            self.add_to_pool(pool, got[0].name, added)
            svc = pool.FindServiceByName(service)
            if svc.file.name != got[0].name:
                raise SystemExit(f"[{self.version}] {service} is in {svc.file.name}, not {got[0].name}")
            for method in svc.methods:
                reach(method.input_type, types)
                reach(method.output_type, types)
        for kwargs in ({"file_containing_symbol": "no.such.Symbol"}, {"file_by_filename": "no/such.proto"}):
            res = self.ask(**kwargs)
            if res.WhichOneof("message_response") != "error_response" or \
                    res.error_response.error_code != NOT_FOUND:
                raise SystemExit(f"[{self.version}] {kwargs} did not fail NOT_FOUND: {res}")
        return {"version": self.version, "services": services, "files": sorted(added),
                "types": sorted(types)}


def reach(message, seen):
    """Every message and enum type reachable from `message` (each resolved by the pool)."""
    if message.full_name in seen:
        return
    seen.add(message.full_name)
    for field in message.fields:
        if field.message_type is not None:
            reach(field.message_type, seen)
        if field.enum_type is not None:
            seen.add(field.enum_type.full_name)


def main():
    target = sys.argv[1]
    with tempfile.TemporaryDirectory() as out_dir:
        generate_stubs(out_dir)
        with grpc.insecure_channel(target) as channel:
            for version in VERSIONS:
                print(json.dumps(StrictClient(channel, version).run()), flush=True)


if __name__ == "__main__":
    main()
