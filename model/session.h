#pragma once

#include "commandpipeline.h"
#include "eventstore.h"
#include "jsdomain.h"
#include "projectiontypes.h"
#include "result.h"

#include <QObject>

#include <memory>

namespace es {

class ProjectionHost;
class StoreCheckJob;
class StoreWatcher;
struct StoreVerdict;

// What the workbench has open: a store, its domain pack and the pipeline over
// them, all living in the GUI thread for the quick calls (a command, a page of
// events). Long work opens its own EventStore in a worker thread.
//
// It also turns appends made by other processes (the CLI, another workbench)
// into eventsAppended (StoreWatcher: SQLite's data_version, or PostgreSQL's
// LISTEN/NOTIFY with a safety poll and reconnection): every view follows live
// through this one signal, always read forward from head(), so a missed
// wake-up or a dropped connection loses nothing.
class Session : public QObject {
    Q_OBJECT
public:
    struct Options {
        QString storePath;
        QString packPath; // may be empty: browsing needs no pack
        bool readOnly = false;
        bool create = false;
        int pollIntervalMs = 200;   // SQLite: data_version poll
        int safetyPollMs = 1500;    // PostgreSQL: head check and reconnection behind LISTEN
        // Run the pack's projections (in a worker thread) while the session is open.
        bool runProjections = true;
    };

    static Result<std::unique_ptr<Session>> open(const Options &options);
    ~Session() override;

    EventStore *store() const { return m_store.get(); }
    JsDomain *domain() const { return m_domain.get(); }          // null without a pack
    CommandPipeline *pipeline() const { return m_pipeline.get(); } // null without a pack
    QString storePath() const { return m_options.storePath; }
    QString packPath() const { return m_options.packPath; }
    // Asked for, or forced: the file cannot be written, or the store is damaged.
    bool isReadOnly() const;
    // Why the store is read-only although the user did not ask (empty otherwise).
    QString readOnlyReason() const;

    // SQLite's check of the store's pages (quick_check), run in the background
    // when a store file is opened. Until the verdict, nothing is written: the
    // projections wait, and a command waits for it (small stores) or is refused
    // (large ones). A damaged store switches to read-only.
    enum class Health {
        NotChecked, // PostgreSQL, in-memory, or the check could not run (healthText says why)
        Checking,
        Sound,
        Damaged,
    };
    Health health() const { return m_health; }
    QString healthText() const { return m_healthText; }
    // Blocks until the check's verdict is in (tests, and a first write).
    void waitForHealth();
    // Whether background writers (the search indexer, projections) may write
    // now: a writable store whose check is not pending. healthChanged tells when it changes.
    bool mayWrite() const { return !isReadOnly() && m_health != Health::Checking; }
    qint64 head() const { return m_head; }
    // PostgreSQL: false while the connection is down (it is reopened on its own).
    bool isConnected() const;

    // Loads (or replaces) the domain pack. The store stays open.
    Status loadPack(const QString &packPath);
    // Re-reads the pack from disk; the summary says what changed.
    Result<QString> reloadPack();

    // Sends a command through the pipeline (GUI thread: one command is quick).
    CommandResult execute(const Command &command);

    // The projections: run in a worker thread when the store is writable and
    // the pack declares some, otherwise observed from the stored checkpoints.
    ProjectionHost *projections() const { return m_projections.get(); }
    QList<ProjectionStatus> projectionStatuses() const;
    // The trainer's eventual-consistency knob: an artificial delay before a
    // projection applies new events (-1: the pack's default). Asynchronous.
    void setProjectionDelay(const QString &name, int delayMs);

Q_SIGNALS:
    // New events, in order, whoever appended them.
    void eventsAppended(const es::EventList &events);
    void commandExecuted(const es::CommandResult &result);
    void headChanged(qint64 head);
    void packChanged();
    // PostgreSQL: the connection dropped (message says why) or came back; events
    // appended meanwhile arrive through eventsAppended once it is back.
    void connectionChanged(bool connected, const QString &message);
    // The check's verdict arrived, or damage was found while reading.
    void healthChanged();
    // The session became read-only (damage found): writes are refused from now on.
    void readOnlyChanged();

private:
    explicit Session(const Options &options);
    void onLocalAppend(const EventList &events);
    void catchUp();
    void startCheck();
    void onVerdict(const StoreVerdict &verdict);
    void onDamage(const QString &message);
    void startProjections();

    Options m_options;
    std::unique_ptr<EventStore> m_store;
    std::unique_ptr<JsDomain> m_domain;
    std::unique_ptr<CommandPipeline> m_pipeline;
    std::unique_ptr<ProjectionHost> m_projections;
    std::unique_ptr<StoreWatcher> m_watcher;
    std::unique_ptr<StoreCheckJob> m_check;
    Health m_health = Health::NotChecked;
    QString m_healthText;
    qint64 m_storeBytes = 0;
    bool m_projectionsDeferred = false;
    qint64 m_head = 0;
};

} // namespace es
