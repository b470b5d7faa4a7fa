#include "workload.h"

#include "eventstore.h"
#include "identifiers.h"
#include "ids.h"

#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>

using namespace Qt::StringLiterals;

namespace es {

namespace {

const QStringList kWords = {u"alpha"_s, u"bravo"_s, u"cedar"_s, u"delta"_s, u"ember"_s, u"fjord"_s, u"grove"_s,
                            u"harbor"_s, u"indigo"_s, u"juniper"_s, u"kestrel"_s, u"lumen"_s, u"maple"_s,
                            u"nova"_s, u"orchid"_s, u"pepper"_s};
const QStringList kActors = {u"alice"_s, u"bob"_s, u"carol"_s, u"dave"_s, u"erin"_s};

// A fixed origin for generated times (2025-01-01T00:00:00Z): the same seed, the same payloads.
constexpr qint64 TimeOriginMs = 1735689600000;

QJsonValue sampleValue(const FieldSpec &f, QRandomGenerator &rng)
{
    if (!f.examples.isEmpty())
        return f.examples.at(int(rng.bounded(quint32(f.examples.size()))));
    const QString &t = f.type;
    if (t == u"enum")
        return f.values.isEmpty() ? QJsonValue() : QJsonValue(f.values.at(int(rng.bounded(quint32(f.values.size())))));
    if (t == u"boolean")
        return rng.bounded(2) == 1;
    if (t == u"integer" || t == u"number") {
        const double lo = f.min.value_or(0);
        const double hi = f.max.value_or(lo + (t == u"integer" ? 20 : 500));
        double v = lo + rng.generateDouble() * (hi - lo);
        if (t == u"integer")
            return qint64(std::floor(v));
        v = std::round(v * 100) / 100;
        return qBound(lo, v, hi);
    }
    if (t == u"datetime")
        return QDateTime::fromMSecsSinceEpoch(TimeOriginMs + qint64(rng.bounded(365u * 24 * 3600)) * 1000, Qt::UTC)
            .toString(Qt::ISODateWithMs);
    if (t == u"object")
        return QJsonObject{};
    if (t == u"array")
        return QJsonArray{};
    // A string: a word or two, fitted to the declared length and pattern when it can be.
    QString s = kWords.at(int(rng.bounded(quint32(kWords.size()))));
    if (rng.bounded(2))
        s += u' ' + kWords.at(int(rng.bounded(quint32(kWords.size()))));
    if (!f.pattern.isEmpty()) {
        const QRegularExpression re(QRegularExpression::anchoredPattern(f.pattern));
        if (!re.match(s).hasMatch()) {
            const QString compact = s.toLower().remove(u' ');
            const QString upper = compact.toUpper();
            const QStringList candidates = {compact, upper, compact + u"1"_s,
                                            u"%1-%2"_s.arg(upper).arg(rng.bounded(100))};
            for (const QString &candidate : candidates)
                if (re.match(candidate).hasMatch())
                    return candidate;
        }
    }
    if (f.minLength && s.size() < *f.minLength)
        s = s.leftJustified(*f.minLength, u'x');
    if (f.maxLength && s.size() > *f.maxLength)
        s.truncate(*f.maxLength);
    return s;
}

} // namespace

WorkloadGenerator::WorkloadGenerator(CommandPipeline *pipeline, const Options &options)
    : m_pipeline(pipeline)
    , m_options(options)
{
}

Result<WorkloadGenerator::Stats> WorkloadGenerator::run(const std::function<bool(qint64, qint64)> &progress)
{
    const DomainInfo &info = m_pipeline->domain()->info();
    QList<const AggregateSpec *> aggregates;
    for (const AggregateSpec &a : info.aggregates)
        if (!a.commands.isEmpty())
            aggregates << &a;
    if (aggregates.isEmpty())
        return Error::make(ErrorCode::Invalid, u"the pack %1 declares no commands"_s.arg(info.name));
    // A template that makes bad stream ids would have every new stream refused: say so once, write nothing.
    for (const AggregateSpec *a : std::as_const(aggregates))
        if (const QString p = identifiers::problem(identifiers::Kind::StreamId, a->newStreamId(1, 0)); !p.isEmpty())
            return Error::make(
                ErrorCode::Invalid,
                u"the streamTemplate of aggregate %1 makes stream ids that are refused: %2"_s.arg(a->name, p));

    QRandomGenerator rng(m_options.seed);
    // The ids the engine hands out (command and event ids, ctx.newId() in packs)
    // come from the seed too: the same seed makes the same streams every run.
    const SeededIds seededIds(m_options.seed);
    // Commands that reactions send (PlaceOrder on a checkout): the generator
    // leaves them to the reactions, and works on the streams those open.
    QSet<QString> reactionCommands;
    // Streams this run knows, per aggregate, with the version it last saw.
    QHash<QString, QStringList> streams;
    QHash<QString, qint64> versions;
    Stats stats;
    int counter = 0;
    qint64 skipped = 0;
    for (qint64 i = 0; i < m_options.commands; ++i) {
        const AggregateSpec *agg = aggregates.at(int(rng.bounded(quint32(aggregates.size()))));
        QStringList &known = streams[agg->name];
        const bool fresh = known.isEmpty() || rng.generateDouble() < m_options.newStreamRate;
        QString stream;
        const CommandSpec *spec = nullptr;
        if (fresh) {
            do
                stream = agg->newStreamId(++counter, rng.generate());
            while (m_pipeline->store()->streamInfo(stream)); // a second run into the same store
            spec = &agg->commands.constFirst();
        } else {
            stream = known.at(int(rng.bounded(quint32(known.size()))));
            // Mostly the other commands: the first one usually opens a stream.
            const int n = int(agg->commands.size());
            spec = &agg->commands.at(n > 1 && rng.bounded(20) != 0 ? 1 + int(rng.bounded(quint32(n - 1))) : 0);
        }
        if (reactionCommands.contains(agg->name + u'.' + spec->name)) {
            // Not ours to send; a stream of this aggregate that a reaction opened gets another command, if any.
            --i;
            if (++skipped > 100 * m_options.commands)
                break; // the pack leaves nothing to a client
            continue;
        }

        Command c;
        c.type = agg->name + u'.' + spec->name;
        c.stream = stream;
        c.metadata.insert(meta::Actor, kActors.at(int(rng.bounded(quint32(kActors.size())))));
        // Optional fields only when the pack offers examples: a random value for an
        // optional key field (a SKU, a slug) would mostly be refused.
        for (const FieldSpec &f : spec->fields)
            if (f.required || (!f.examples.isEmpty() && rng.bounded(2)))
                c.payload.insert(f.name, sampleValue(f, rng));
        if (rng.generateDouble() < m_options.invalidRate && !spec->fields.isEmpty()) {
            // Break one field: a wrong type fails any declared type but "string".
            const FieldSpec &f = spec->fields.at(int(rng.bounded(quint32(spec->fields.size()))));
            c.payload.insert(f.name, f.type == u"string" ? QJsonValue(42) : QJsonValue(u"not-a-%1"_s.arg(f.type)));
        } else if (!fresh && rng.generateDouble() < m_options.conflictRate) {
            // A client that read the stream a little while ago.
            c.expectedVersion = qMax<qint64>(0, versions.value(stream) - 1 - rng.bounded(3));
        }

        const CommandResult r = m_pipeline->execute(c);
        ++stats.commands;
        switch (r.record.outcome) {
        case CommandOutcome::Accepted:
            ++stats.accepted;
            stats.events += r.events.size();
            if (!r.events.isEmpty()) {
                if (!versions.contains(stream)) {
                    known << stream;
                    ++stats.streams;
                }
                versions[stream] = r.events.constLast().version;
            }
            break;
        case CommandOutcome::Rejected:
            ++stats.rejected;
            break;
        case CommandOutcome::Conflict:
            ++stats.conflicts;
            break;
        case CommandOutcome::Failed:
            ++stats.failed;
            if (r.error.code == ErrorCode::Io || r.error.code == ErrorCode::ReadOnly)
                return r.error; // the store is unusable: stop rather than log thousands of failures
            break;
        }
        // Learn what the reactions send, and the streams they open (after `known`
        // is done with: adding an aggregate to `streams` may move its lists).
        for (const CommandRecord &reaction : std::as_const(r.reactions)) {
            reactionCommands.insert(reaction.aggregate + u'.' + reaction.type);
            if (reaction.outcome == CommandOutcome::Accepted && reaction.firstPosition > 0 &&
                !streams.value(reaction.aggregate).contains(reaction.stream))
                streams[reaction.aggregate] << reaction.stream;
        }
        if (progress && !progress(i + 1, m_options.commands))
            return Error::make(ErrorCode::Cancelled, u"generation cancelled after %1 commands"_s.arg(i + 1));
    }
    return stats;
}

} // namespace es
