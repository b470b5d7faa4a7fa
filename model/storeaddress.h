#pragma once

#include "result.h"

#include <QSqlDatabase>
#include <QString>

namespace es {

enum class Backend { SQLite, PostgreSQL };

// Where a store lives, as users write it: a SQLite file path (or ":memory:",
// or a shared-cache in-memory URI), or a PostgreSQL database as a URL:
//
//   postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=...&host=/socket/dir]
//
// A password is taken, in this order, from the URL, from a prompt answered in
// this process (rememberPassword), or by libpq itself from PGPASSWORD or
// ~/.pgpass. It is never written anywhere: displayName() drops it, and that is
// what titles, settings and messages use.
class StoreAddress {
public:
    static bool isPostgresUrl(const QString &text);
    static Result<StoreAddress> parse(const QString &text);

    Backend backend() const { return m_backend; }
    bool isPostgres() const { return m_backend == Backend::PostgreSQL; }
    QString text() const { return m_text; }
    // The address without its password: safe to show and to store.
    QString displayName() const;

    // PostgreSQL parts (empty for SQLite).
    QString host() const { return m_host; }
    QString socketDirectory() const { return m_socketDir; } // ?host=/dir: a unix socket instead of TCP
    int port() const { return m_port; }
    QString user() const { return m_user; }
    QString database() const { return m_database; }

    // Opens a new PostgreSQL connection under `connectionName` (QPSQL). The
    // caller owns it: close and removeDatabase() when done.
    Result<QSqlDatabase> openPostgres(const QString &connectionName, bool readOnly) const;

    // A password answered at a prompt, kept in this process's memory only so
    // that worker threads can open their own connections with it.
    static void rememberPassword(const StoreAddress &address, const QString &password);
    // True when a connection failed because the server wants a password we do not have.
    static bool isPasswordError(const QString &message);
    // True when a PostgreSQL error says the connection is gone (terminated,
    // server restarted, network cut): worth trying again, unlike a bad query.
    static bool isConnectionLoss(const QString &message);

private:
    QString passwordKey() const;

    Backend m_backend = Backend::SQLite;
    QString m_text;
    QString m_host;
    QString m_socketDir;
    int m_port = 5432;
    QString m_user;
    QString m_password;
    QString m_database;
    QString m_sslMode;
};

Backend backendOf(const QSqlDatabase &db);

} // namespace es
