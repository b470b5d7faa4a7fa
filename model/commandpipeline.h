#pragma once

#include "domain.h"
#include "repository.h"
#include "result.h"
#include "types.h"

#include <QObject>

#include <optional>

namespace es {

class EventStore;

struct Command {
    // Generated when empty. A repeated id returns the logged outcome when it is final
    // (accepted or rejected); after a conflict or a failure the command runs again.
    QString commandId;
    QString type;      // "Command" or "Aggregate.Command"
    QString stream;
    QJsonObject payload;
    std::optional<qint64> expectedVersion; // 0 = the stream must not exist yet
    QJsonObject metadata; // actor, correlationId, causationId, and anything else
};

struct CommandResult {
    Command command;      // as asked (in memory only: secrets are in clear here, never in the log)
    // What went into the command log. A command whose command id or stream id is
    // not a valid identifier (identifiers.h) is rejected without a log row.
    CommandRecord record;
    EventList events;     // the events written (accepted)
    Error error;          // for Failed: a script error, I/O, an unknown command
    bool repeated = false; // the command id was already logged: nothing was executed
    // Commands issued by reactions to this command's events (and to theirs), in order.
    QList<CommandRecord> reactions;
    QString reactionError; // why the reaction chain stopped (a loop, a limit, a failing reaction)

    bool accepted() const { return record.outcome == CommandOutcome::Accepted; }
};

// The write side of CQRS: validate -> load -> decide -> append -> publish.
// Every stage is timed; the outcome goes to the command log.
class CommandPipeline : public QObject {
    Q_OBJECT
public:
    enum class Stage { Validate, Load, Decide, Append, Publish };
    Q_ENUM(Stage)

    static constexpr int MaxReactionsPerCommand = 1000;

    struct Options {
        int snapshotEvery = 100; // 0 disables automatic snapshots
        bool runReactions = true;
        int maxReactionDepth = 16; // a longer chain of reactions is stopped
        // Reaction commands one command may set off (its whole correlation); past it the chain is stopped.
        int maxReactionsPerCommand = MaxReactionsPerCommand;
        // Without an expected version, an append that lost a race to another writer
        // is tried again on the reloaded stream (decide runs again), this many times in all.
        int maxAttempts = 5;
    };

    CommandPipeline(EventStore *store, Domain *domain, QObject *parent = nullptr);
    CommandPipeline(EventStore *store, Domain *domain, const Options &options, QObject *parent = nullptr);

    CommandResult execute(const Command &command);

    Repository &repository() { return m_repository; }
    EventStore *store() const { return m_store; }
    Domain *domain() const { return m_domain; }
    const Options &options() const { return m_options; }

Q_SIGNALS:
    // Each stage as it completes, for the pipeline view and traces.
    void stageCompleted(const QString &commandId, es::CommandPipeline::Stage stage, qint64 micros, bool ok);
    void commandExecuted(const es::CommandResult &result);

private:
    CommandResult executeOne(const Command &command);
    enum class Attempt {
        Retry,        // the append lost a race and mayRetry: load and decide again
        Done,         // the outcome is in the record, to be logged unless the append logged it
        DoneUnlogged, // the append failed (I/O, a command id logged concurrently): no log row
    };
    // Load, decide and append, once. *loaded is the state the accepted events were decided on.
    Attempt attempt(CommandResult &result, const CommandSpec &spec, bool mayRetry, LoadedAggregate *loaded);
    CommandResult finish(CommandResult result, bool log);
    void runReactions(CommandResult &root);

    EventStore *m_store;
    Domain *m_domain;
    Options m_options;
    Repository m_repository;
};

} // namespace es

Q_DECLARE_METATYPE(es::CommandResult)
