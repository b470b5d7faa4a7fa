#pragma once

#include <QObject>
#include <QTimer>

class QThread;

namespace es {

class EventStore;

// Notices what other connections (another process, another thread) append to
// one store, and says so with changed(): a wake-up, never data. Whoever
// listens reads forward from its own checkpoint, so a missed wake-up loses
// nothing, it only comes later.
//
//  - SQLite: PRAGMA data_version, polled (cheap; changes when another
//    connection commits to the file).
//  - PostgreSQL: LISTEN on the store's own connection (every commit NOTIFYs,
//    see EventStore::notificationChannel) and a slow safety poll of the head,
//    because NOTIFY is not durable: a dropped connection drops them. The
//    safety poll is also how a dropped connection is noticed; it is then
//    reopened (EventStore::reconnect), subscribed again, and changed() tells
//    the owner to catch up. Reconnection retries back off up to 30 s; each
//    first checks the server from a thread of its own, so that an unreachable
//    host never blocks the store's thread (the GUI's) for the connect timeout.
//
// Lives in the store's thread; QPSQL delivers notifications through that
// thread's event loop.
class StoreWatcher : public QObject {
    Q_OBJECT
public:
    struct Options {
        int pollIntervalMs = 200; // SQLite data_version poll
        int safetyPollMs = 1500;  // PostgreSQL: head check and connection probe
        // PostgreSQL: reopen the store's connection when it drops. connectionLost
        // comes first: an owner with prepared statements of its own on that
        // connection frees them there (ProjectionRunner's read store does).
        // Off for a borrowed store, whose owner reopens it: start() again later.
        bool reconnect = true;
    };

    StoreWatcher(EventStore *store, const Options &options, QObject *parent = nullptr);
    ~StoreWatcher() override;

    void start();
    void stop();
    // Probes at once (instead of at the next safety tick): after a query of the owner failed.
    void checkNow();

    bool isConnected() const { return m_connected; }
    // Whether the store's connection still answers a trivial query: after a
    // failed read, tells a dropped connection (reopen it) from a bad query.
    static bool answers(EventStore *store);

Q_SIGNALS:
    // Something may have been appended by someone else: read forward from where you are.
    void changed();
    // PostgreSQL: the connection dropped (message says why) or came back.
    void connectionLost(const QString &message);
    void reconnected();

private:
    void subscribe();
    void onNotification(const QString &name);
    void pollSqlite();
    void probePostgres();
    void tryReconnect();
    void finishReconnect(const QString &probeFailure);

    EventStore *m_store;
    Options m_options;
    QTimer m_timer;
    qint64 m_dataVersion = -1;
    qint64 m_lastHead = -1;
    bool m_connected = true;
    bool m_listening = false;
    int m_retryMs = 0;
    bool m_stopped = true;
    QThread *m_probe = nullptr; // a reconnection attempt's reachability check, off this thread
};

} // namespace es
