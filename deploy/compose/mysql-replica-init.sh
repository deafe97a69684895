#!/usr/bin/env bash
# First-start setup of the compose MySQL 8.4 replica. The mysql image's entrypoint runs this from
# /docker-entrypoint-initdb.d only while the data volume is empty, after the primary reported
# healthy (compose depends_on), so the primary's users and `app` database already exist there and
# arrive here through replication. Works sourced or executed, like mysql-primary-init.sh.
set -eo pipefail

sql_string() {
  local value=${1//\\/\\\\}
  printf "'%s'" "${value//\'/\'\'}"
}

repl_password=$(sql_string "$(</run/secrets/mysql_repl_password)")

# RESET first: nothing local may be in this server's GTID history, or auto-positioning would
# treat it as errant transactions.
# read_only/super_read_only are persisted here rather than passed on the command line: the
# entrypoint starts its temporary server with the same flags, and super_read_only would make its
# own setup (root password) fail. PERSIST applies them from the real start on; replication
# threads are exempt.
mysql --defaults-extra-file=<(printf '[client]\nuser=root\npassword="%s"\n' "$MYSQL_ROOT_PASSWORD") \
  --protocol=socket ${SOCKET:+"--socket=$SOCKET"} <<SQL
RESET BINARY LOGS AND GTIDS;
CHANGE REPLICATION SOURCE TO
  SOURCE_HOST = 'mysql-primary',
  SOURCE_PORT = 3306,
  SOURCE_USER = 'repl',
  SOURCE_PASSWORD = $repl_password,
  SOURCE_AUTO_POSITION = 1,
  GET_SOURCE_PUBLIC_KEY = 1,
  SOURCE_CONNECT_RETRY = 2,
  SOURCE_RETRY_COUNT = 86400;
START REPLICA;
SET PERSIST read_only = ON;
SET PERSIST super_read_only = ON;
SQL
