#pragma once

#include "domain.h"
#include "result.h"
#include "types.h"

#include <QJsonObject>
#include <QString>

#include <functional>
#include <memory>

namespace es {

class EventStore;
struct HistoryStep;

// A user's JavaScript predicate over an aggregate's state, such as
// `s => s.balance < 0`, in a QJSEngine of its own (never the pack's), under a
// watchdog that interrupts a runaway predicate. One thread at a time.
class StatePredicate {
public:
    // Errors name what is wrong: a syntax error with its line, or a value
    // that is not a function.
    static Result<std::unique_ptr<StatePredicate>> compile(const QString &source, int timeoutMs = 1000);
    ~StatePredicate();
    StatePredicate(const StatePredicate &) = delete;
    StatePredicate &operator=(const StatePredicate &) = delete;

    QString source() const;
    // The predicate's truthiness for a state. A throw or an interruption is an error.
    Result<bool> test(const QJsonObject &state);

private:
    class Impl;
    explicit StatePredicate(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

// Where a predicate first holds along a stream.
struct BisectResult {
    bool found = false;
    qint64 version = 0;  // the first version whose state satisfies it (0: the initial state)
    qint64 position = 0; // of the event that made it true
    QString eventType;
    qint64 recordedMs = 0;
    qint64 checked = 0;  // states tested
    qint64 total = 0;    // versions in the stream (plus the initial state)
    QJsonObject state;
};

// Tests the initial state, then the state after each event, in order, and
// stops at the first that satisfies the predicate: the exact first version,
// whether or not the predicate stays true afterwards. progress(done, total)
// returns false to cancel (ErrorCode::Cancelled).
class Bisect {
public:
    using Progress = std::function<bool(qint64, qint64)>;
    // Folds the stream from the store (for a worker with its own connection and domain).
    static Result<BisectResult> firstTrue(EventStore *store, Domain *domain, const QString &stream,
                                          StatePredicate &predicate, const Progress &progress = {});
    // Over states already computed.
    static Result<BisectResult> firstTrue(const QJsonObject &initial, const QList<HistoryStep> &steps,
                                          StatePredicate &predicate, const Progress &progress = {});
};

} // namespace es
