#pragma once

#include "commandpipeline.h"
#include "result.h"
#include "types.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QSet>

#include <atomic>
#include <functional>
#include <memory>

class QThread;

namespace es {

class EventStore;
class JsDomain;

// A command issued into a fork, with what it did there. Kept so that a rebuilt
// fork (an event skipped or restored) can run the same commands again.
struct ForkCommand {
    Command command;
    CommandResult result;
    QString aggregate;
    qint64 versionBefore = 0; // the stream's version in the fork just before the command
};

// An aggregate in the original store (as of the fork position) beside the same
// aggregate in the fork.
struct StateComparison {
    QString stream;
    QString aggregate;
    bool inOriginal = false; // the stream exists in the original at the fork position
    bool inFork = false;
    qint64 originalVersion = 0;
    qint64 forkVersion = 0;
    QJsonObject original;
    QJsonObject fork;
    QStringList paths; // where they differ ("balance", "refunded.t-1")
    bool equal() const { return paths.isEmpty(); }
};

// One read-model row in the original and in the fork.
struct RowComparison {
    enum class Kind { Same, Added, Removed, Changed }; // Added: only in the fork
    QString key;
    Kind kind = Kind::Same;
    QJsonValue original{QJsonValue::Undefined}; // undefined when absent
    QJsonValue fork{QJsonValue::Undefined};
};

struct ProjectionComparison {
    QString projection;
    QList<RowComparison> rows; // every key of either side, in key order
    qint64 same = 0;
    qint64 added = 0;
    qint64 removed = 0;
    qint64 changed = 0;
    bool equal() const { return added == 0 && removed == 0 && changed == 0; }
};

// The what-if sandbox: a scratch copy of a store's events 1..P in a named
// in-memory SQLite store (shared cache, so a worker thread can fill it and the
// GUI thread then use it), minus the events the user skips. Commands go through
// a pipeline of its own over the fork; nothing is ever written to the original.
//
// The fork keeps the original positions and versions: an event skipped leaves
// a gap, so "position 42" means the same event on both sides. Skipping or
// restoring an event rebuilds the fork from the original and runs the commands
// issued so far again, in order (their outcome may change: that is the point).
//
// Copying runs in a worker thread that attaches the original file read-only
// and copies with INSERT ... SELECT inside SQLite (a store that is not a file,
// ":memory:", is copied in the calling thread instead).
//
// Lives in one thread (the GUI's); the domain is its own instance of the pack.
class Sandbox : public QObject {
    Q_OBJECT
public:
    explicit Sandbox(QObject *parent = nullptr);
    ~Sandbox() override;

    // The original store (used from this thread for quick reads only) and its pack.
    // Drops any fork.
    Status setSource(EventStore *source, const QString &packPath);
    EventStore *source() const { return m_source; }
    QString packPath() const { return m_packPath; }

    // --- forking ---
    // Builds the fork at a position (clamped to the head) in a worker: progress, then forked or failed.
    // A newer request supersedes an older one still running.
    void forkAt(qint64 position);
    void skip(qint64 position);
    void restore(qint64 position);
    void setSkipped(const QSet<qint64> &skipped);
    // The same, synchronously in this thread (tests, the CLI).
    Status forkNow(qint64 position, const QSet<qint64> &skipped = {});
    void cancel();
    void discard(); // drops the fork and the commands issued into it

    bool isBusy() const { return m_busy; }
    bool isReady() const { return m_fork != nullptr; }
    qint64 position() const { return m_position; }
    QSet<qint64> skipped() const { return m_skipped; }
    EventStore *fork() const { return m_fork.get(); }
    CommandPipeline *pipeline() const { return m_pipeline.get(); }
    JsDomain *domain() const { return m_domain.get(); }

    // --- commands in the fork ---
    CommandResult execute(const Command &command);
    const QList<ForkCommand> &commands() const { return m_commands; }

    // --- compare ---
    Result<StateComparison> compareAggregate(const QString &stream);
    // The read models of the original as of the fork position and of the fork now.
    // Synchronous; startProjectionCompare runs it in a worker.
    Result<QList<ProjectionComparison>> compareProjections(const QStringList &projections = {});
    void startProjectionCompare(const QStringList &projections = {});
    static Result<QList<ProjectionComparison>> compareProjections(EventStore *original, qint64 originalPosition,
                                                                  EventStore *fork, Domain *domain,
                                                                  const QStringList &projections,
                                                                  const std::function<bool(const QString &)> &stage = {});

    // --- fixtures for the Node harness (resources/harness/harness.js) ---
    // The stream's history in the fork before the command, the command, and what it did:
    // one given/when/then case.
    Result<QJsonObject> fixture(int commandIndex, const QString &name = {});
    // Writes cases as the harness reads them (a JSON array), atomically.
    static Status writeFixtures(const QString &path, const QJsonArray &cases);

    // Copies events 1..position (minus skipped) of the store file at sourcePath into
    // the in-memory store forkUri (schema already created). Any thread.
    // progress(done, total) returns false to cancel.
    static Status copyFromFile(const QString &sourcePath, const QString &forkUri, qint64 position,
                               const QSet<qint64> &skipped, const std::function<bool(qint64, qint64)> &progress = {});
    // The same through the source's own connection (for stores that are not files).
    static Status copyFromStore(EventStore *source, EventStore *fork, qint64 position, const QSet<qint64> &skipped,
                                const std::function<bool(qint64, qint64)> &progress = {});

Q_SIGNALS:
    void progress(const QString &stage, qint64 done, qint64 total);
    // The fork is (re)built and usable.
    void forked(qint64 position);
    void failed(const QString &message);
    // A command ran in the fork (its events, if any, are there).
    void commandExecuted(const es::CommandResult &result);
    void projectionsCompared(const QList<es::ProjectionComparison> &result);
    void busyChanged(bool busy);

private:
    struct Job;
    void start(qint64 position, const QSet<qint64> &skipped);
    Status install(std::unique_ptr<EventStore> fork, qint64 position, const QSet<qint64> &skipped);
    void finishJob(quint64 id, const Status &status);
    void setBusy(bool busy);
    QString sourceFilePath() const;
    static QString newForkName();

    EventStore *m_source = nullptr;
    QString m_packPath;
    std::unique_ptr<JsDomain> m_domain;
    std::unique_ptr<EventStore> m_fork;
    QString m_forkUri;
    std::unique_ptr<CommandPipeline> m_pipeline;
    qint64 m_position = 0;
    QSet<qint64> m_skipped;
    QList<ForkCommand> m_commands;
    bool m_busy = false;
    quint64 m_jobId = 0;
    std::unique_ptr<Job> m_job;
    std::vector<QThread *> m_threads;
};

} // namespace es

Q_DECLARE_METATYPE(es::ProjectionComparison)
