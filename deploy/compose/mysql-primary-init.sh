#!/usr/bin/env bash
# First-start setup of the compose MySQL 8.4 primary. The mysql image's entrypoint runs this from
# /docker-entrypoint-initdb.d only while the data volume is empty, against its temporary
# socket-only server. It works whether the entrypoint sources it (mode 644) or executes it (755):
# it uses no entrypoint functions, only MYSQL_ROOT_PASSWORD (exported by the entrypoint) and,
# when sourced, SOCKET.
#
# Deliberately binlogged: the replica receives the database and the users through replication.
set -eo pipefail

# A MySQL string literal; backslashes and quotes in the secret files are escaped.
sql_string() {
  local value=${1//\\/\\\\}
  printf "'%s'" "${value//\'/\'\'}"
}

repl_password=$(sql_string "$(</run/secrets/mysql_repl_password)")
gateway_password=$(sql_string "$(</run/secrets/mysql_gateway_password)")

mysql --defaults-extra-file=<(printf '[client]\nuser=root\npassword="%s"\n' "$MYSQL_ROOT_PASSWORD") \
  --protocol=socket ${SOCKET:+"--socket=$SOCKET"} <<SQL
CREATE DATABASE IF NOT EXISTS app CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

CREATE USER 'repl'@'%' IDENTIFIED BY $repl_password;
GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';

-- Data and DDL on the application schema; PROCESS and REPLICATION CLIENT for SHOW PROCESSLIST
-- and SHOW REPLICA STATUS (lag); performance_schema for the replication status tables.
-- No SUPER / CONNECTION_ADMIN: killing its own queries needs neither, and the replica's
-- super_read_only then really keeps the gateway from writing there.
CREATE USER 'gateway'@'%' IDENTIFIED BY $gateway_password;
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, REFERENCES,
      CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, CREATE VIEW, SHOW VIEW,
      CREATE ROUTINE, ALTER ROUTINE, EVENT, TRIGGER
  ON app.* TO 'gateway'@'%';
GRANT PROCESS, REPLICATION CLIENT ON *.* TO 'gateway'@'%';
GRANT SELECT ON performance_schema.* TO 'gateway'@'%';
SQL
