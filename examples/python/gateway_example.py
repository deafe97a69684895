#!/usr/bin/env python3
"""Calls mysql-grpc-gateway from Python with stubs generated from the repo's .proto.

    python3 examples/python/gateway_example.py [HOST:PORT]

Generates the stubs for every .proto of the contract (gateway.proto and admin.proto) with
grpc_tools (Debian: python3-grpcio, python3-grpc-tools) into a temporary folder, then runs an
Execute, a Query, a Transaction and a Batch, checking each answer, and Admin.GetStatus (with
authentication on, the token's principal needs `admin: true` for that one).
Exits non-zero with a message when anything is not as expected.
"""
import os
import subprocess
import sys
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.path.join(HERE, "..", "..", "proto")


def generate_stubs(out_dir):
    from grpc_tools import protoc  # noqa: F401  (fails early with a clear ImportError)
    protos = sorted(os.path.join(d, f) for d, _, files in os.walk(PROTO_ROOT) for f in files if f.endswith(".proto"))
    cmd = [
        sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_ROOT}",
        f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", *protos,
    ]
    subprocess.run(cmd, check=True)
    sys.path.insert(0, out_dir)


def main():
    target = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("GATEWAY_ADDR", "127.0.0.1:50051")
    with tempfile.TemporaryDirectory() as out_dir:
        generate_stubs(out_dir)
        import grpc
        from mysqlgateway.v1 import admin_pb2, admin_pb2_grpc
        from mysqlgateway.v1 import gateway_pb2 as pb
        from mysqlgateway.v1 import gateway_pb2_grpc as rpc

        # TLS when GATEWAY_CA names the CA file; a bearer token from GATEWAY_TOKEN on every call.
        ca = os.environ.get("GATEWAY_CA")
        if ca:
            with open(ca, "rb") as f:
                channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=f.read()))
        else:
            channel = grpc.insecure_channel(target)
        token = os.environ.get("GATEWAY_TOKEN")
        md = [("authorization", f"Bearer {token}")] if token else []
        stub = rpc.GatewayStub(channel)
        table = "py_example_" + uuid.uuid4().hex[:8]

        # Execute: DDL and a write with params (uint64 beyond 2^63, bytes, NULL).
        stub.Execute(pb.ExecuteRequest(sql=f"CREATE TABLE {table} (id BIGINT UNSIGNED PRIMARY KEY, note VARCHAR(20), raw VARBINARY(8))"), metadata=md)
        res = stub.Execute(pb.ExecuteRequest(
            sql=f"INSERT INTO {table} VALUES (?, ?, ?)",
            params=[pb.Value(uint64_value=18446744073709551615), pb.Value(string_value="héllo 😀"),
                    pb.Value(bytes_value=b"\x00\xff")],
        ), metadata=md)
        assert res.affected_rows == 1, res

        # Query: metadata, rows, stats. The write's token makes a replica read see the write.
        rows, columns, stats = [], [], None
        read = pb.QueryRequest(sql=f"SELECT id, note, raw FROM {table}", consistency_token=res.consistency_token)
        for msg in stub.Query(read, metadata=md):
            kind = msg.WhichOneof("payload")
            if kind == "metadata":
                columns = [c.name for c in msg.metadata.columns]
            elif kind == "rows":
                rows.extend(msg.rows.rows)
            else:
                stats = msg.stats
        assert columns == ["id", "note", "raw"], columns
        assert rows[0].values[0].uint64_value == 18446744073709551615, rows
        assert rows[0].values[1].string_value == "héllo 😀", rows
        assert rows[0].values[2].bytes_value == b"\x00\xff", rows
        assert stats.row_count == 1, stats
        print(f"query: {len(rows)} row(s) from {stats.backend}")

        # Transaction: begin, insert, read back inside, commit.
        def requests():
            yield pb.TransactionRequest(request_id="b", begin=pb.BeginRequest())
            yield pb.TransactionRequest(request_id="i", execute=pb.Statement(
                sql=f"INSERT INTO {table} (id, note) VALUES (?, ?)",
                params=[pb.Value(uint64_value=1), pb.Value(string_value="in tx")]))
            yield pb.TransactionRequest(request_id="q", query=pb.Statement(sql=f"SELECT COUNT(*) FROM {table}"))
            yield pb.TransactionRequest(request_id="c", commit=pb.CommitRequest())

        seen = []
        for resp in stub.Transaction(requests(), metadata=md):
            kind = resp.WhichOneof("result")
            if kind == "error":
                raise SystemExit(f"transaction error: {resp.error}")
            seen.append((resp.request_id, kind))
            if kind == "rows":
                assert resp.rows.rows[0].values[0].int64_value == 2, resp
        assert ("b", "begun") in seen and ("i", "executed") in seen and ("c", "committed") in seen, seen
        print(f"transaction: {' '.join(f'{r}:{k}' for r, k in seen)}")

        # Batch: six steps in one call, on one connection, in one transaction. Step 1 fails
        # on the duplicate key; step 2 names error(1) in its condition, so it runs and *handles*
        # that failure (a catch block): the unconditioned step 3 still runs and the batch commits.
        # `and`, `or` and `not` are Python keywords: set those fields with **{...}.
        def stmt(sql, *params):
            return pb.Statement(sql=sql, params=list(params))

        def cond(**kind):
            return pb.BatchCondition(**kind)

        def cond_list(*conditions):
            return pb.BatchConditionList(conditions=list(conditions))

        two = pb.Value(uint64_value=2)
        batch = stub.Batch(pb.BatchRequest(
            transaction=pb.BeginRequest(isolation_level=pb.ISOLATION_LEVEL_READ_COMMITTED),
            steps=[
                pb.BatchStep(statement=stmt(f"INSERT INTO {table} (id, note) VALUES (?, 'batch')", two)),
                pb.BatchStep(statement=stmt(f"INSERT INTO {table} (id, note) VALUES (?, 'again')", two)),
                pb.BatchStep(statement=stmt(f"UPDATE {table} SET note = 'handled' WHERE id = ?", two),
                             condition=cond(error=1)),
                pb.BatchStep(statement=stmt(f"SELECT note, CONNECTION_ID() FROM {table} WHERE id = ?", two)),
                pb.BatchStep(statement=stmt("SELECT CONNECTION_ID()"),
                             condition=cond(**{"and": cond_list(cond(ok=3), cond(**{"not": cond(error=0)}))})),
                pb.BatchStep(statement=stmt(f"DELETE FROM {table}"),
                             condition=cond(**{"or": cond_list(cond(error=0), cond(error=2))})),
            ],
        ), metadata=md)
        kinds = [r.WhichOneof("outcome") for r in batch.results]
        assert kinds == ["executed", "error", "executed", "result", "result", "skipped"], batch
        assert batch.results[1].error.mysql_errno == 1062, batch.results[1]
        assert batch.committed, batch
        selected = batch.results[3].result.rows[0].values
        assert selected[0].string_value == "handled", selected
        assert selected[1] == batch.results[4].result.rows[0].values[0], "one connection for every step"
        print(f"batch: {' '.join(kinds)} committed={batch.committed}")

        stub.Execute(pb.ExecuteRequest(sql=f"DROP TABLE {table}"), metadata=md)
        try:
            stub.Execute(pb.ExecuteRequest(sql="SELEC 1"), metadata=md)
            raise SystemExit("a syntax error was accepted")
        except grpc.RpcError as err:
            trailers = dict(err.trailing_metadata() or ())
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err
            assert trailers.get("mysql-errno") == "1064", trailers
            print(f"error: {err.code().name} errno={trailers.get('mysql-errno')} reason={trailers.get('gateway-reason')}")

        # Admin.GetStatus: every cluster with its backends; lag_ms counts only when lag_known.
        status = admin_pb2_grpc.AdminStub(channel).GetStatus(admin_pb2.GetStatusRequest(), metadata=md)
        assert status.clusters and status.clusters[0].backends, status
        for cluster in status.clusters:
            backends = ", ".join(
                f"{b.name} {b.role} {admin_pb2.BackendHealthState.Name(b.state)}"
                + (f" lag {b.lag_ms} ms" if b.lag_known else "")
                for b in cluster.backends)
            print(f"status: {cluster.name} serving={cluster.serving}: {backends}")
        print("python example: OK")


if __name__ == "__main__":
    main()
