#include "storewatcher.h"

#include "eventstore.h"
#include "storeaddress.h"

#include <QAtomicInteger>
#include <QLoggingCategory>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>

#include <memory>

using namespace Qt::StringLiterals;

namespace es {

namespace {
Q_LOGGING_CATEGORY(lcWatch, "eventscope.store.watch", QtInfoMsg)
constexpr int MaxRetryMs = 30000;
} // namespace

StoreWatcher::StoreWatcher(EventStore *store, const Options &options, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_options(options)
{
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (!m_store->isPostgres())
            pollSqlite();
        else if (m_connected)
            probePostgres();
        else
            tryReconnect();
    });
}

StoreWatcher::~StoreWatcher()
{
    stop();
    if (m_probe) {
        // Bounded by the connect timeout; only when the server was unreachable as we close.
        m_probe->wait();
        delete m_probe;
    }
}

void StoreWatcher::start()
{
    m_stopped = false;
    m_connected = true; // until a probe says otherwise
    m_retryMs = 0;
    if (m_store->isPostgres()) {
        subscribe();
        m_lastHead = -1;
        probePostgres(); // takes the first head
        m_timer.start(m_options.safetyPollMs);
    } else {
        m_dataVersion = -1;
        pollSqlite(); // takes the first data_version
        m_timer.start(m_options.pollIntervalMs);
    }
}

void StoreWatcher::stop()
{
    m_stopped = true;
    m_timer.stop();
    if (m_listening) {
        QSqlDriver *driver = m_store->database().driver();
        disconnect(driver, &QSqlDriver::notification, this, nullptr);
        if (m_connected && driver->subscribedToNotifications().contains(EventStore::notificationChannel()))
            driver->unsubscribeFromNotification(EventStore::notificationChannel());
        m_listening = false;
    }
}

void StoreWatcher::checkNow()
{
    if (!m_store->isPostgres())
        pollSqlite();
    else if (m_connected)
        probePostgres();
}

bool StoreWatcher::answers(EventStore *store)
{
    QSqlDatabase db = store->database();
    if (!db.isOpen())
        return false;
    QSqlQuery q(db);
    return q.exec(u"SELECT 1"_s);
}

void StoreWatcher::subscribe()
{
    QSqlDriver *driver = m_store->database().driver();
    if (!driver->hasFeature(QSqlDriver::EventNotifications))
        return;
    // A reconnected driver forgot its subscriptions: connect once, subscribe each time.
    disconnect(driver, &QSqlDriver::notification, this, nullptr);
    connect(driver, &QSqlDriver::notification, this,
            [this](const QString &name, QSqlDriver::NotificationSource, const QVariant &) { onNotification(name); });
    m_listening = driver->subscribeToNotification(EventStore::notificationChannel());
    if (!m_listening)
        qCWarning(lcWatch).noquote() << m_store->displayName()
                                     << ": cannot LISTEN, following by polling only:" << driver->lastError().text();
}

void StoreWatcher::onNotification(const QString &name)
{
    if (name == EventStore::notificationChannel())
        Q_EMIT changed();
}

void StoreWatcher::pollSqlite()
{
    QSqlQuery q(m_store->database());
    if (!q.exec(u"PRAGMA data_version"_s) || !q.next())
        return;
    const qint64 version = q.value(0).toLongLong();
    q.finish();
    if (version == m_dataVersion)
        return;
    const bool first = m_dataVersion < 0;
    m_dataVersion = version;
    if (!first)
        Q_EMIT changed();
}

void StoreWatcher::probePostgres()
{
    // Not a prepared statement of the store: it must work on a fresh connection too.
    QSqlQuery q(m_store->database());
    if (q.exec(u"SELECT max(position) FROM events"_s) && q.next()) {
        const qint64 head = q.value(0).toLongLong();
        q.finish();
        // Someone else reopened the connection (EventStore::reconnect): listen again.
        if (m_listening &&
            !m_store->database().driver()->subscribedToNotifications().contains(EventStore::notificationChannel()))
            subscribe();
        const bool first = m_lastHead < 0;
        if (!first && head != m_lastHead)
            Q_EMIT changed(); // a notification went missing, or is still on its way: harmless
        m_lastHead = head;
        return;
    }
    QString why = q.lastError().text().trimmed();
    if (why.isEmpty()) // QPSQL marks a connection it saw die as closed, without a message
        why = tr("the server closed the connection");
    q.finish();
    m_connected = false;
    m_listening = false;
    qCInfo(lcWatch).noquote() << m_store->displayName() << ": connection lost:" << why;
    Q_EMIT connectionLost(why);
    if (!m_options.reconnect) {
        m_timer.stop();
        return;
    }
    m_retryMs = 0;
    tryReconnect();
}

void StoreWatcher::tryReconnect()
{
    if (m_probe)
        return; // one attempt at a time
    // The store's connection must be reopened in its own thread (the GUI thread,
    // for the workbench's session), but an unreachable host can take the whole
    // connect timeout to say so. A throwaway connection in a thread of its own
    // finds out first; only a server that answered is then reconnected here, quickly.
    auto address = StoreAddress::parse(m_store->path());
    if (!address) {
        finishReconnect(address.error().message);
        return;
    }
    auto failure = std::make_shared<QString>();
    static QAtomicInteger<quint64> probes;
    const QString name = u"eventscope-probe-%1"_s.arg(probes.fetchAndAddRelaxed(1));
    m_probe = QThread::create([a = *address, failure, name] {
        {
            auto db = a.openPostgres(name, true);
            if (!db)
                *failure = db.error().message;
            else
                db->close();
        }
        QSqlDatabase::removeDatabase(name);
    });
    connect(m_probe, &QThread::finished, this, [this, failure] {
        m_probe->deleteLater();
        m_probe = nullptr;
        if (m_stopped)
            return;
        finishReconnect(*failure);
    });
    m_probe->start();
}

void StoreWatcher::finishReconnect(const QString &probeFailure)
{
    Status st = probeFailure.isEmpty() ? m_store->reconnect() : Status(Error::make(ErrorCode::Io, probeFailure));
    if (!st) {
        // Back off between attempts.
        m_retryMs = qBound(m_options.safetyPollMs, m_retryMs * 2, MaxRetryMs);
        m_timer.start(m_retryMs);
        qCInfo(lcWatch).noquote() << st.error().message << "; next try in" << m_retryMs << "ms";
        return;
    }
    m_connected = true;
    m_retryMs = 0;
    subscribe();
    m_timer.start(m_options.safetyPollMs);
    qCInfo(lcWatch).noquote() << m_store->displayName() << ": reconnected";
    Q_EMIT reconnected();
    Q_EMIT changed(); // whatever was appended meanwhile: catch up
}

} // namespace es
