#pragma once

// The conformance suite: the store and projection suites run once per backend.
// CTest registers each of them twice (see es_add_conformance_test): NAME on
// SQLite, NAME_pg with ES_TEST_BACKEND=postgresql against the throwaway server
// that scripts/test.sh starts (ES_TEST_PG_URL). Without a server the
// PostgreSQL run fails with the reason; it never skips.

#include <QAtomicInteger>
#include <QCoreApplication>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>
#include <QTemporaryDir>
#include <QUrl>
#include <QUrlQuery>

inline bool testingPostgres()
{
    return qgetenv("ES_TEST_BACKEND") == "postgresql";
}

// Fresh, empty store locations: files in a temporary directory on SQLite, new
// databases on the test server on PostgreSQL (dropped first if a previous run left them).
class TestStores {
public:
    // Empty (and error() says why) when the PostgreSQL server is not there.
    QString location(const QString &name)
    {
        if (!testingPostgres())
            return m_dir.filePath(name);
        const QString base = QString::fromLocal8Bit(qgetenv("ES_TEST_PG_URL"));
        if (base.isEmpty()) {
            const QString why = QString::fromLocal8Bit(qgetenv("ES_TEST_PG_ERROR"));
            m_error = why.isEmpty() ? QStringLiteral("ES_TEST_PG_URL is not set: run the suite with scripts/test.sh, "
                                                     "which starts a throwaway PostgreSQL server")
                                    : why;
            return {};
        }
        static QAtomicInteger<int> counter;
        QString db = QStringLiteral("es_%1_%2_%3")
                         .arg(QCoreApplication::applicationName().remove(QStringLiteral("tst_")))
                         .arg(counter.fetchAndAddRelaxed(1))
                         .arg(name.toLower());
        db.replace(QRegularExpression(QStringLiteral("[^a-z0-9_]")), QStringLiteral("_"));
        db = db.left(63);
        QUrl url(base);
        const QString admin = QStringLiteral("storesupport-admin");
        {
            QSqlDatabase c = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), admin);
            const QString socket = QUrlQuery(url).queryItemValue(QStringLiteral("host"), QUrl::FullyDecoded);
            c.setHostName(socket.isEmpty() ? url.host() : socket);
            c.setPort(url.port(5432));
            c.setUserName(url.userName());
            c.setDatabaseName(url.path().mid(1));
            if (!c.open()) {
                m_error =
                    QStringLiteral("cannot reach the test PostgreSQL server at %1: %2").arg(base, c.lastError().text());
            } else {
                QSqlQuery q(c);
                q.exec(QStringLiteral("SET client_min_messages = warning"));
                if (!q.exec(QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(db)) ||
                    !q.exec(QStringLiteral("CREATE DATABASE %1").arg(db)))
                    m_error = QStringLiteral("cannot create test database %1: %2").arg(db, q.lastError().text());
            }
        }
        QSqlDatabase::removeDatabase(admin);
        if (!m_error.isEmpty())
            return {};
        url.setPath(QLatin1Char('/') + db);
        return url.toString();
    }
    QString error() const { return m_error; }

private:
    QTemporaryDir m_dir;
    QString m_error;
};

// A fresh store location, or the test fails with the reason.
#define ES_STORE_LOCATION(var, stores, name)                                                                           \
    const QString var = (stores).location(name);                                                                       \
    QVERIFY2(!var.isEmpty(), qPrintable((stores).error()))
