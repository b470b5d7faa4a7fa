#pragma once

#include "domain.h"

#include <memory>

namespace es {

// A domain pack (one JavaScript file, see DESIGN.md "Domain packs") hosted in
// its own QJSEngine. The pack's functions only ever see plain JS values: no Qt
// object is exposed to them, and nothing gives file or network access.
//
// Every call into the script runs under a watchdog that interrupts it after
// the timeout, so a runaway pack cannot hang the pipeline or the GUI.
//
// Like the engine it owns, a JsDomain must be used from one thread at a time.
class JsDomain final : public Domain {
public:
    // Reads and evaluates the pack, then checks its structure. Errors are
    // Error{Io} for an unreadable file and Error{Script} for everything else,
    // with "FILE:LINE: message" when a line is known.
    static Result<std::unique_ptr<JsDomain>> load(const QString &path, int timeoutMs = 2000);

    ~JsDomain() override;
    JsDomain(const JsDomain &) = delete;
    JsDomain &operator=(const JsDomain &) = delete;

    const DomainInfo &info() const override;
    Result<QJsonObject> initialState(const QString &aggregate) override;
    Result<Decision> decide(const QString &aggregate, const QJsonObject &state, const QString &command,
                            const QJsonObject &payload, const DecisionContext &ctx) override;
    Result<QJsonObject> evolve(const QString &aggregate, const QJsonObject &state, const RecordedEvent &event) override;
    // Keeps the state inside the engine from the first event to the last: the replay hot path.
    Result<QJsonObject> fold(const QString &aggregate, const QJsonObject &state, const EventList &events) override;
    // Runs reactions.NAME.handle(event, ctx); a command without a stream goes to the event's stream.
    Result<QList<ReactionCommand>> react(const QString &reaction, const RecordedEvent &event,
                                         const DecisionContext &ctx) override;
    // One past the highest upcaster declared for the type.
    int schemaVersion(const QString &eventType) const override;

    Result<QStringList> projectionKeys(const QString &projection, const RecordedEvent &event) override;
    Result<QJsonValue> project(const QString &projection, const QJsonValue &current, const RecordedEvent &event,
                               const QString &key) override;

    bool canProjectBatch() const override;
    Result<ProjectionKeyBatch> projectionKeysBatch(const QString &projection, const RecordedEvent *events,
                                                   qsizetype count, qsizetype maxKeysPerEvent) override;
    Result<ProjectionBatchResult> projectBatch(const QString &projection, const QByteArray &slotIds,
                                               const QByteArray &rows, const QJsonArray &columns, quint64 session,
                                               bool reset) override;
    bool holdsBatchRows(const QString &projection, quint64 session) const override;

    // Re-reads the pack from its file. On success the new code is in use and the
    // result says what changed (aggregates, commands, projections, reactions);
    // on failure the old code stays in use.
    Result<QString> reload();

    int timeoutMs() const;

private:
    class Impl;
    explicit JsDomain(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace es
