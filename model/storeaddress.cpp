#include "storeaddress.h"

#include <QHash>
#include <QMutex>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QUrl>
#include <QUrlQuery>

using namespace Qt::StringLiterals;

namespace es {

namespace {

QMutex s_passwordsMutex;
QHash<QString, QString> &passwords()
{
    static QHash<QString, QString> p;
    return p;
}

} // namespace

bool StoreAddress::isPostgresUrl(const QString &text)
{
    return text.startsWith(u"postgresql://"_s) || text.startsWith(u"postgres://"_s);
}

Result<StoreAddress> StoreAddress::parse(const QString &text)
{
    StoreAddress a;
    a.m_text = text;
    if (!isPostgresUrl(text)) {
        if (text.isEmpty())
            return Error::make(ErrorCode::Invalid, u"no store given"_s);
        return a;
    }
    a.m_backend = Backend::PostgreSQL;
    const QUrl url(text, QUrl::StrictMode);
    const QString shown = a.displayName();
    if (!url.isValid())
        return Error::make(ErrorCode::Invalid, u"%1 is not a valid PostgreSQL URL: %2"_s.arg(shown, url.errorString()));
    a.m_user = url.userName();
    a.m_password = url.password();
    a.m_host = url.host();
    a.m_port = url.port(5432);
    a.m_database = url.path().mid(1);
    const QUrlQuery query(url);
    for (const auto &[key, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (key == u"sslmode")
            a.m_sslMode = value;
        else if (key == u"host")
            a.m_socketDir = value;
        else
            return Error::make(ErrorCode::Invalid, u"%1: unknown option '%2' (known: sslmode, host)"_s.arg(shown, key));
    }
    if (a.m_database.isEmpty() || a.m_database.contains(u'/'))
        return Error::make(ErrorCode::Invalid,
                           u"%1 names no database: write postgresql://user@host:port/database"_s.arg(shown));
    if (a.m_host.isEmpty() && a.m_socketDir.isEmpty())
        a.m_host = u"localhost"_s;
    return a;
}

QString StoreAddress::displayName() const
{
    if (!isPostgresUrl(m_text))
        return m_text;
    QUrl url(m_text);
    if (!url.isValid())
        return m_text.section(u'@', -1); // never echo what may be a password
    url.setPassword({});
    return url.toString();
}

QString StoreAddress::passwordKey() const
{
    return m_user + u'@' + (m_socketDir.isEmpty() ? m_host : m_socketDir) + u':' + QString::number(m_port) + u'/' +
           m_database;
}

void StoreAddress::rememberPassword(const StoreAddress &address, const QString &password)
{
    QMutexLocker lock(&s_passwordsMutex);
    passwords().insert(address.passwordKey(), password);
}

bool StoreAddress::isPasswordError(const QString &message)
{
    return message.contains(u"no password supplied"_s) || message.contains(u"password authentication failed"_s);
}

bool StoreAddress::isConnectionLoss(const QString &message)
{
    static const char *const signs[] = {"terminating connection",
                                        "server closed the connection",
                                        "no connection to the server",
                                        "could not connect to server",
                                        "connection to server",
                                        "cannot connect",
                                        "cannot reconnect",
                                        "the database system is starting up",
                                        "the database system is shutting down"};
    for (const char *sign : signs) {
        if (message.contains(QLatin1StringView(sign)))
            return true;
    }
    return false;
}

Result<QSqlDatabase> StoreAddress::openPostgres(const QString &connectionName, bool readOnly) const
{
    if (!QSqlDatabase::isDriverAvailable(u"QPSQL"_s))
        return Error::make(ErrorCode::Io, u"%1: Qt's PostgreSQL driver (QPSQL) is not installed: install the Debian "
                                          "package libqt6sql6-psql"_s.arg(displayName()));
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, connectionName);
    db.setHostName(m_socketDir.isEmpty() ? m_host : m_socketDir);
    db.setPort(m_port);
    db.setDatabaseName(m_database);
    if (!m_user.isEmpty())
        db.setUserName(m_user);
    QString password = m_password;
    if (password.isEmpty()) {
        QMutexLocker lock(&s_passwordsMutex);
        password = passwords().value(passwordKey());
    }
    if (!password.isEmpty())
        db.setPassword(password); // else libpq reads PGPASSWORD or ~/.pgpass
    QString options = u"connect_timeout=10;application_name=eventscope"_s;
    if (!m_sslMode.isEmpty())
        options += u";sslmode="_s + m_sslMode;
    db.setConnectOptions(options);
    if (!db.open()) {
        const QString why = db.lastError().text().trimmed();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(connectionName);
        if (isPasswordError(why))
            return Error::make(ErrorCode::Io, u"%1: the server wants a password: set PGPASSWORD, use ~/.pgpass, or "
                                              "enter it when asked (%2)"_s.arg(displayName(), why));
        return Error::make(ErrorCode::Io, u"%1: cannot connect: %2"_s.arg(displayName(), why));
    }
    QSqlQuery q(db);
    // Quiet NOTICEs ("relation already exists, skipping") and an auditor's read-only session.
    q.exec(u"SET client_min_messages = warning"_s);
    if (readOnly)
        q.exec(u"SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"_s);
    return db;
}

Backend backendOf(const QSqlDatabase &db)
{
    return db.driverName() == u"QPSQL" ? Backend::PostgreSQL : Backend::SQLite;
}

} // namespace es
