#include "cli.h"
#include "payload.h"

#include "commandpipeline.h"
#include "eventio.h"
#include "eventstore.h"
#include "storeaddress.h"
#include "storecheck.h"
#include "jsdomain.h"
#include "projectionrunner.h"
#include "readstore.h"
#include "timetravel.h"
#include "workload.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>

#include <algorithm>
#include <cstdlib>
#include <functional>

using namespace Qt::StringLiterals;
using namespace es;

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

QTextStream &err()
{
    static QTextStream s(stderr);
    return s;
}

namespace {

struct Subcommand {
    QString name;
    QString synopsis;
    QString description;
    std::function<int(QCommandLineParser &)> run;
    std::function<void(QCommandLineParser &)> options;
    QStringList positional; // names for --help
};

QCommandLineOption jsonOption()
{
    return {u"json"_s, u"Machine-readable JSON output."_s};
}
QCommandLineOption domainOption()
{
    return {u"domain"_s, u"The domain pack (a .js file)."_s, u"PACK"_s};
}

int fail(const Error &e)
{
    err() << "eventscope-cli: " << e.message << Qt::endl;
    return exitcode::Usage;
}

int usage(const QString &message)
{
    err() << "eventscope-cli: " << message << Qt::endl;
    return exitcode::Usage;
}

void printJson(const QJsonValue &v)
{
    if (v.isArray())
        out() << QJsonDocument(v.toArray()).toJson(QJsonDocument::Indented);
    else
        out() << QJsonDocument(v.toObject()).toJson(QJsonDocument::Indented);
    out().flush();
}

QString requireStorePath(QCommandLineParser &p, QString *error)
{
    const QStringList args = p.positionalArguments();
    if (args.isEmpty()) {
        *error = u"missing STORE (a store file path, :memory:, or postgresql://user@host:port/database)"_s;
        return {};
    }
    return args.first();
}

Result<std::unique_ptr<EventStore>> openStore(QCommandLineParser &p, EventStore::Mode mode)
{
    QString error;
    const QString path = requireStorePath(p, &error);
    if (path.isEmpty())
        return Error::make(ErrorCode::Invalid, error);
    return EventStore::open(path, mode);
}

Result<std::unique_ptr<JsDomain>> openDomain(QCommandLineParser &p)
{
    const QString pack = p.value(u"domain"_s);
    if (pack.isEmpty())
        return Error::make(ErrorCode::Invalid, u"missing --domain PACK (a domain pack .js file)"_s);
    return JsDomain::load(pack);
}

bool parseInt(const QString &s, qint64 *out)
{
    bool ok = false;
    *out = s.toLongLong(&ok);
    return ok;
}

void printEventLine(const RecordedEvent &e)
{
    out() << qSetFieldWidth(8) << Qt::right << e.position << qSetFieldWidth(0) << "  " << e.recordedIso() << "  "
          << e.stream << "@" << e.version << "  " << e.type << "  " << e.data << Qt::endl;
}

// --- init ------------------------------------------------------------------

int cmdInit(QCommandLineParser &p)
{
    QString error;
    const QString path = requireStorePath(p, &error);
    if (path.isEmpty())
        return usage(error);
    bool existed = QFile::exists(path);
    if (StoreAddress::isPostgresUrl(path)) {
        // The database must exist (CREATE DATABASE is the server admin's call); is the store in it already?
        auto probe = EventStore::open(path, EventStore::Mode::ReadOnly);
        existed = bool(probe);
    }
    auto store = EventStore::open(path, EventStore::Mode::Create);
    if (!store)
        return fail(store.error());
    const QString shown = (*store)->displayName();
    if (p.isSet(u"json"_s))
        printJson(QJsonObject{{u"store"_s, shown}, {u"created"_s, !existed}, {u"schema"_s, EventStore::SchemaVersion}});
    else
        out() << (existed ? "store is ready: " : "created store: ") << shown << Qt::endl;
    return exitcode::Ok;
}

// --- domain ----------------------------------------------------------------

int cmdDomain(QCommandLineParser &p)
{
    auto domain = openDomain(p);
    if (!domain)
        return fail(domain.error());
    const DomainInfo &info = (*domain)->info();
    if (p.isSet(u"json"_s)) {
        printJson(info.toJson());
        return exitcode::Ok;
    }
    out() << info.name << " " << info.version << "  (" << info.sourcePath << ")" << Qt::endl;
    if (!info.description.isEmpty())
        out() << info.description << Qt::endl;
    for (const AggregateSpec &a : info.aggregates) {
        out() << Qt::endl << "aggregate " << a.name << Qt::endl;
        for (const CommandSpec &c : a.commands) {
            out() << "  command " << c.name << Qt::endl;
            for (const FieldSpec &f : c.fields) {
                out() << "    " << f.name << ": " << f.type << (f.required ? " (required)" : "");
                if (!f.values.isEmpty())
                    out() << " one of " << f.values.join(u", "_s);
                if (f.min)
                    out() << " min " << *f.min;
                if (f.max)
                    out() << " max " << *f.max;
                out() << Qt::endl;
            }
        }
        out() << "  events: " << a.eventTypes.join(u", "_s) << Qt::endl;
    }
    for (const ProjectionSpec &pr : info.projections)
        out() << "projection " << pr.name << " (" << pr.kind << "): " << pr.eventTypes.join(u", "_s) << Qt::endl;
    for (const ReactionSpec &r : info.reactions)
        out() << "reaction " << r.name << " on " << r.eventType << Qt::endl;
    return exitcode::Ok;
}

// --- exec ------------------------------------------------------------------

int cmdExec(QCommandLineParser &p)
{
    const QStringList args = p.positionalArguments();
    if (args.size() < 2)
        return usage(
            u"usage: exec STORE --domain PACK --stream ID COMMAND ['JSON' | --data JSON | --data-file FILE]"_s);
    Command cmd;
    cmd.type = args.at(1);
    auto text = readPayload(p);
    if (!text)
        return fail(text.error());
    if (!text->trimmed().isEmpty()) {
        QJsonParseError pe;
        const QJsonDocument doc = QJsonDocument::fromJson(*text, &pe);
        if (pe.error == QJsonParseError::IllegalNumber)
            return usage(u"the command payload has a number at column %1 that cannot be read: beyond the range of "
                         "a double (about ±1.8e308) or malformed"_s.arg(pe.offset + 1));
        if (pe.error != QJsonParseError::NoError)
            return usage(u"the command payload is malformed JSON at column %1: %2"_s.arg(pe.offset + 1).arg(
                pe.errorString()));
        if (!doc.isObject())
            return usage(u"the command payload must be a JSON object"_s);
        cmd.payload = doc.object();
    }
    cmd.stream = p.value(u"stream"_s);
    if (cmd.stream.isEmpty())
        return usage(u"missing --stream ID"_s);
    if (p.isSet(u"expected-version"_s)) {
        qint64 v = 0;
        if (!parseInt(p.value(u"expected-version"_s), &v) || v < 0)
            return usage(u"--expected-version must be a non-negative integer (0: the stream must not exist)"_s);
        cmd.expectedVersion = v;
    }
    cmd.commandId = p.value(u"command-id"_s);
    cmd.metadata.insert(meta::Actor, p.isSet(u"actor"_s) ? p.value(u"actor"_s) : qEnvironmentVariable("USER",
                                                                                                       u"cli"_s));
    if (p.isSet(u"correlation"_s))
        cmd.metadata.insert(meta::CorrelationId, p.value(u"correlation"_s));

    auto domain = openDomain(p);
    if (!domain)
        return fail(domain.error());
    auto store = openStore(p, EventStore::Mode::ReadWrite);
    if (!store)
        return fail(store.error());
    CommandPipeline::Options options;
    if (p.isSet(u"max-reactions"_s)) {
        qint64 n = 0;
        if (!parseInt(p.value(u"max-reactions"_s), &n) || n < 0 || n > 10'000'000)
            return usage(u"--max-reactions must be a number of commands between 0 and 10000000"_s);
        options.maxReactionsPerCommand = int(n);
    }
    CommandPipeline pipeline(store->get(), domain->get(), options);
    const CommandResult r = pipeline.execute(cmd);
    const CommandRecord &rec = r.record;
    if (p.isSet(u"json"_s)) {
        QJsonObject o = rec.toJson();
        QJsonArray events;
        for (const RecordedEvent &e : r.events)
            events.append(e.toJson());
        o.insert(u"events"_s, events);
        if (r.repeated)
            o.insert(u"repeated"_s, true);
        printJson(o);
    } else {
        switch (rec.outcome) {
        case CommandOutcome::Accepted:
            out() << "accepted" << (r.repeated ? " (already executed: the logged outcome)" : "") << ": "
                  << r.events.size() << " event(s)" << Qt::endl;
            for (const RecordedEvent &e : r.events)
                printEventLine(e);
            break;
        case CommandOutcome::Rejected:
            out() << "rejected: " << rec.reason << Qt::endl;
            for (auto it = rec.fieldErrors.constBegin(); it != rec.fieldErrors.constEnd(); ++it)
                out() << "  " << it.key() << ": " << it.value().toString() << Qt::endl;
            break;
        case CommandOutcome::Conflict:
            out() << "conflict: " << rec.reason << Qt::endl;
            break;
        case CommandOutcome::Failed:
            err() << "eventscope-cli: " << (r.error.message.isEmpty() ? rec.reason : r.error.message) << Qt::endl;
            break;
        }
    }
    switch (rec.outcome) {
    case CommandOutcome::Accepted:
        return exitcode::Ok;
    case CommandOutcome::Rejected:
        return exitcode::Rejected;
    case CommandOutcome::Conflict:
        return exitcode::Conflict;
    case CommandOutcome::Failed:
        break;
    }
    return exitcode::Usage;
}

// --- events ----------------------------------------------------------------

int cmdEvents(QCommandLineParser &p)
{
    auto store = openStore(p, EventStore::Mode::ReadOnly);
    if (!store)
        return fail(store.error());
    EventQuery q;
    q.stream = p.value(u"stream"_s);
    q.types = p.values(u"type"_s);
    q.correlationId = p.value(u"correlation"_s);
    q.actor = p.value(u"actor"_s);
    qint64 n = 0;
    if (p.isSet(u"from"_s)) {
        if (!parseInt(p.value(u"from"_s), &n) || n < 0)
            return usage(u"--from must be a position (a non-negative integer)"_s);
        q.fromPosition = n;
    }
    q.limit = 100;
    if (p.isSet(u"limit"_s)) {
        if (!parseInt(p.value(u"limit"_s), &n) || n < 1)
            return usage(u"--limit must be a positive integer"_s);
        q.limit = int(qMin<qint64>(n, 1'000'000));
    }
    for (const char *key : {"since", "until"}) {
        const QString name = QString::fromLatin1(key);
        if (!p.isSet(name))
            continue;
        const QDateTime t = QDateTime::fromString(p.value(name), Qt::ISODateWithMs);
        if (!t.isValid())
            return usage(u"--%1 must be an ISO 8601 time, e.g. 2026-11-25T10:00:00Z"_s.arg(name));
        (name == u"since"_s ? q.fromMs : q.toMs) = t.toMSecsSinceEpoch();
    }
    auto events = (*store)->query(q);
    if (!events)
        return fail(events.error());
    if (p.isSet(u"json"_s)) {
        QJsonArray a;
        for (const RecordedEvent &e : *events)
            a.append(e.toJson());
        printJson(a);
    } else {
        for (const RecordedEvent &e : *events)
            printEventLine(e);
    }
    return exitcode::Ok;
}

// --- streams ---------------------------------------------------------------

int cmdStreams(QCommandLineParser &p)
{
    auto store = openStore(p, EventStore::Mode::ReadOnly);
    if (!store)
        return fail(store.error());
    auto streams = (*store)->streams(p.value(u"prefix"_s));
    if (!streams)
        return fail(streams.error());
    auto iso = [](qint64 ms) {
        return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
    };
    if (p.isSet(u"json"_s)) {
        QJsonArray a;
        for (const StreamInfo &s : *streams)
            a.append(QJsonObject{{u"stream"_s, s.stream},
                                 {u"type"_s, s.type},
                                 {u"version"_s, s.version},
                                 {u"firstAt"_s, iso(s.firstMs)},
                                 {u"lastAt"_s, iso(s.lastMs)}});
        printJson(a);
    } else {
        for (const StreamInfo &s : *streams)
            out() << s.stream << "  " << s.type << "  v" << s.version << "  " << iso(s.firstMs) << " .. "
                  << iso(s.lastMs) << Qt::endl;
    }
    return exitcode::Ok;
}

// --- replay ----------------------------------------------------------------

int cmdReplay(QCommandLineParser &p)
{
    const QString stream = p.value(u"stream"_s);
    if (stream.isEmpty())
        return usage(u"missing --stream ID"_s);
    auto domain = openDomain(p);
    if (!domain)
        return fail(domain.error());
    auto store = openStore(p, EventStore::Mode::ReadOnly);
    if (!store)
        return fail(store.error());
    TimeTravel tt(store->get(), domain->get());
    if (p.isSet(u"no-snapshots"_s))
        tt.setUseSnapshots(false);
    const int modes = int(p.isSet(u"to-version"_s)) + int(p.isSet(u"at-position"_s)) + int(p.isSet(u"at-time"_s));
    if (modes > 1)
        return usage(u"give one of --to-version, --at-position, --at-time"_s);
    Result<LoadedAggregate> r = Error{};
    qint64 n = 0;
    if (p.isSet(u"to-version"_s)) {
        if (!parseInt(p.value(u"to-version"_s), &n) || n < 0)
            return usage(u"--to-version must be a non-negative integer"_s);
        r = tt.atVersion(stream, n);
    } else if (p.isSet(u"at-position"_s)) {
        if (!parseInt(p.value(u"at-position"_s), &n) || n < 0)
            return usage(u"--at-position must be a non-negative integer"_s);
        r = tt.atPosition(stream, n);
    } else if (p.isSet(u"at-time"_s)) {
        const QDateTime t = QDateTime::fromString(p.value(u"at-time"_s), Qt::ISODateWithMs);
        if (!t.isValid())
            return usage(u"--at-time must be an ISO 8601 time, e.g. 2026-11-25T10:00:00Z"_s);
        r = tt.atTime(stream, t);
    } else {
        r = tt.atVersion(stream, std::numeric_limits<qint64>::max());
    }
    if (!r)
        return fail(r.error());
    if (p.isSet(u"json"_s)) {
        printJson(QJsonObject{{u"stream"_s, r->stream},
                              {u"aggregate"_s, r->aggregate},
                              {u"version"_s, r->version},
                              {u"snapshotVersion"_s, r->snapshotVersion},
                              {u"eventsApplied"_s, r->eventsApplied},
                              {u"state"_s, r->state}});
    } else {
        out() << QJsonDocument(r->state).toJson(QJsonDocument::Indented);
        err() << r->stream << " (" << r->aggregate << ") at version " << r->version;
        if (r->snapshotVersion > 0)
            err() << ", from the snapshot at version " << r->snapshotVersion;
        err() << Qt::endl;
    }
    return exitcode::Ok;
}

// --- verify ----------------------------------------------------------------

int cmdVerify(QCommandLineParser &p)
{
    auto store = openStore(p, EventStore::Mode::ReadOnly);
    if (!store)
        return fail(store.error());
    const bool tty = !p.isSet(u"json"_s) && !p.isSet(u"quiet"_s);
    auto report = (*store)->verify([tty](qint64 done, qint64 head) {
        if (tty && head > 100000)
            err() << "\rverifying " << done << " / " << head << Qt::flush;
        return true;
    });
    if (tty)
        err() << "\r" << Qt::flush;
    if (!report)
        return fail(report.error());
    if (p.isSet(u"json"_s)) {
        QJsonObject o{{u"intact"_s, report->intact}, {u"checked"_s, report->checked}};
        if (!report->intact) {
            o.insert(u"firstBadPosition"_s, report->firstBadPosition);
            o.insert(u"problem"_s, report->problem);
        }
        printJson(o);
    } else if (report->intact) {
        out() << "intact: " << report->checked << " events, hash chain verified" << Qt::endl;
    } else {
        out() << "TAMPERED at position " << report->firstBadPosition << ": " << report->problem << Qt::endl;
    }
    return report->intact ? exitcode::Ok : exitcode::Failed;
}

// --- export / import ---------------------------------------------------------

int cmdExport(QCommandLineParser &p)
{
    auto store = openStore(p, EventStore::Mode::ReadOnly);
    if (!store)
        return fail(store.error());
    qint64 from = 1;
    if (p.isSet(u"from"_s) && (!parseInt(p.value(u"from"_s), &from) || from < 0))
        return usage(u"--from must be a position"_s);
    QFile stdoutFile;
    if (!stdoutFile.open(stdout, QIODevice::WriteOnly))
        return usage(u"cannot write to standard output"_s);
    auto n = eventio::exportEvents(**store, from, stdoutFile);
    stdoutFile.flush();
    if (!n)
        return fail(n.error());
    err() << "exported " << *n << " event(s)" << Qt::endl;
    return exitcode::Ok;
}

int cmdImport(QCommandLineParser &p)
{
    const QStringList args = p.positionalArguments();
    if (args.size() < 2)
        return usage(u"usage: import STORE FILE (FILE: JSON Lines as written by export; - for standard input)"_s);
    QFile file;
    if (args.at(1) == u"-"_s) {
        if (!file.open(stdin, QIODevice::ReadOnly))
            return usage(u"cannot read standard input"_s);
    } else {
        file.setFileName(args.at(1));
        if (!file.open(QIODevice::ReadOnly))
            return usage(u"%1: %2"_s.arg(args.at(1), file.errorString()));
    }
    const bool existed = QFile::exists(args.at(0));
    auto store = EventStore::open(args.at(0), EventStore::Mode::Create);
    if (!store)
        return fail(store.error());
    auto n = eventio::importEvents(**store, file);
    if (!n) {
        if (!existed) {
            // Leave no empty store behind a failed import.
            store->reset();
            for (const char *suffix : {"", "-wal", "-shm"})
                QFile::remove(args.at(0) + QLatin1StringView(suffix));
        }
        err() << "eventscope-cli: " << args.at(1) << ": " << n.error().message << " (nothing was imported)"
              << Qt::endl;
        return exitcode::Usage;
    }
    out() << "imported " << *n << " event(s)" << Qt::endl;
    return exitcode::Ok;
}

int cmdCommands(QCommandLineParser &p)
{
    auto store = openStore(p, EventStore::Mode::ReadOnly);
    if (!store)
        return fail(store.error());
    auto records = (*store)->commands(0, 1'000'000);
    if (!records)
        return fail(records.error());
    if (p.isSet(u"json"_s)) {
        QJsonArray a;
        for (const CommandRecord &r : *records)
            a.append(r.toJson());
        printJson(a);
        return exitcode::Ok;
    }
    for (const CommandRecord &r : *records) {
        out() << r.commandId << "  " << r.type << "  " << r.stream << "  " << outcomeName(r.outcome);
        if (!r.reason.isEmpty())
            out() << "  " << r.reason;
        if (r.firstPosition > 0)
            out() << "  events " << r.firstPosition << ".." << r.lastPosition;
        out() << "  (validate " << r.timings.validateUs << "us, load " << r.timings.loadUs << "us, decide "
              << r.timings.decideUs << "us, append " << r.timings.appendUs << "us, publish " << r.timings.publishUs
              << "us)" << Qt::endl;
    }
    return exitcode::Ok;
}

// --- generate ----------------------------------------------------------------

int cmdGenerate(QCommandLineParser &p)
{
    WorkloadGenerator::Options options;
    qint64 n = 0;
    if (!parseInt(p.value(u"commands"_s), &n) || n < 1)
        return usage(u"--commands must be a positive integer"_s);
    options.commands = n;
    if (p.isSet(u"seed"_s)) {
        if (!parseInt(p.value(u"seed"_s), &n) || n < 0 || n > std::numeric_limits<quint32>::max())
            return usage(u"--seed must be a non-negative 32-bit integer"_s);
        options.seed = quint32(n);
    }
    auto domain = openDomain(p);
    if (!domain)
        return fail(domain.error());
    QString error;
    if (requireStorePath(p, &error).isEmpty())
        return usage(error);
    EventStore::Options storeOptions;
    storeOptions.mode = EventStore::Mode::Create;
    // A generated history is test data: skip the fsync per command.
    storeOptions.durability = p.isSet(u"durable"_s) ? EventStore::Durability::Full : EventStore::Durability::Normal;
    auto store = EventStore::open(p.positionalArguments().first(), storeOptions);
    if (!store)
        return fail(store.error());
    CommandPipeline pipeline(store->get(), domain->get());
    WorkloadGenerator generator(&pipeline, options);
    const bool showProgress = !p.isSet(u"json"_s) && !p.isSet(u"quiet"_s);
    const bool commitLines = p.isSet(u"progress-lines"_s);
    QElapsedTimer sinceUpdate;
    sinceUpdate.start();
    int lastPercent = -1;
    auto stats = generator.run([&](qint64 done, qint64 total) {
        // Called after the command (and its reactions) committed: what a caller may count on if we die next.
        if (commitLines)
            out() << "committed " << done << " head " << (*store)->headPosition() << Qt::endl;
        const int percent = int(done * 100 / total);
        // Throttled: redraw only on a visible change, at most every 100 ms.
        if (showProgress && percent != lastPercent && (sinceUpdate.elapsed() > 100 || done == total)) {
            err() << "\rgenerating: " << done << " / " << total << " commands (" << percent << "%)" << Qt::flush;
            lastPercent = percent;
            sinceUpdate.restart();
        }
        return true;
    });
    if (showProgress)
        err() << Qt::endl;
    if (!stats)
        return fail(stats.error());
    if (p.isSet(u"json"_s)) {
        printJson(QJsonObject{{u"commands"_s, stats->commands},
                              {u"accepted"_s, stats->accepted},
                              {u"rejected"_s, stats->rejected},
                              {u"conflicts"_s, stats->conflicts},
                              {u"failed"_s, stats->failed},
                              {u"events"_s, stats->events},
                              {u"streams"_s, stats->streams},
                              {u"head"_s, (*store)->headPosition()}});
    } else {
        out() << stats->commands << " commands: " << stats->accepted << " accepted, " << stats->rejected
              << " rejected, " << stats->conflicts << " conflicts, " << stats->failed << " failed; " << stats->events
              << " events on " << stats->streams << " new streams; head " << (*store)->headPosition() << Qt::endl;
    }
    return stats->failed > 0 ? exitcode::Failed : exitcode::Ok;
}

// --- project / query (read models) --------------------------------------------

QString projectionStatusLine(const ProjectionStatus &s)
{
    QString line = u"%1  %2  %3  position %4 of %5"_s.arg(s.name.leftJustified(20), projectionKindName(s.kind).leftJustified(6),
                                                           projectionStateName(s.state).leftJustified(10))
                       .arg(s.position)
                       .arg(s.head);
    if (s.lagEvents > 0)
        line += u", %1 behind (%2 s)"_s.arg(s.lagEvents).arg(s.lagSeconds, 0, 'f', 1);
    if (s.eventsPerSecond > 0)
        line += u", %1 events/s"_s.arg(qint64(s.eventsPerSecond));
    if (s.delayMs > 0)
        line += u", delay %1 ms"_s.arg(s.delayMs);
    if (s.rebuildPosition >= 0)
        line += u", rebuild at %1"_s.arg(s.rebuildPosition);
    if (s.skipped > 0)
        line += u", %1 skipped"_s.arg(s.skipped);
    if (!s.lastError.isEmpty()) {
        line += u"\n      error: "_s + s.lastError;
        if (s.errorPosition > 0)
            line += u"\n      at event %1 (%2, id %3): fix the pack then --resume %4, or --skip %4"_s.arg(s.errorPosition)
                        .arg(s.errorEventType, s.errorEventId, s.name);
    }
    if (!s.rebuildError.isEmpty())
        line += u"\n      last rebuild failed: "_s + s.rebuildError;
    return line;
}

void printDiff(const ProjectionDiff &d, bool swapped)
{
    out() << (swapped ? "rebuilt " : "rebuilt (dry run, live model kept) ") << d.projection << " at position "
          << d.shadowPosition << ": " << d.added << " added, " << d.removed << " removed, " << d.changed
          << " changed, " << d.unchanged << " unchanged" << Qt::endl;
    for (const RowChange &c : d.samples) {
        const char *mark = c.kind == RowChange::Kind::Added ? "+" : c.kind == RowChange::Kind::Removed ? "-" : "~";
        out() << "  " << mark << " " << c.key;
        if (c.kind != RowChange::Kind::Added)
            out() << "  before " << QJsonDocument(c.before).toJson(QJsonDocument::Compact);
        if (c.kind != RowChange::Kind::Removed)
            out() << "  after " << QJsonDocument(c.after).toJson(QJsonDocument::Compact);
        out() << Qt::endl;
    }
}

int cmdProject(QCommandLineParser &p)
{
    QString error;
    const QString path = requireStorePath(p, &error);
    if (path.isEmpty())
        return usage(error);
    auto domain = openDomain(p);
    if (!domain)
        return fail(domain.error());
    ProjectionRunner::Options o;
    o.readStorePath = p.value(u"read-store"_s);
    if (p.isSet(u"batch"_s)) {
        qint64 n = 0;
        if (!parseInt(p.value(u"batch"_s), &n) || n < 1 || n > 1'000'000)
            return usage(u"--batch must be a number of events between 1 and 1000000"_s);
        o.batchSize = int(n);
    }
    // Crash tests: die without any cleanup after N committed batches.
    const qint64 exitAfter = qEnvironmentVariableIntValue("EVENTSCOPE_TEST_EXIT_AFTER_BATCHES");
    if (exitAfter > 0) {
        o.batchHook = [exitAfter](const ProjectionRunner::BatchInfo &b) {
            if (b.committed && b.batches >= exitAfter)
                std::_Exit(86);
        };
    }
    auto runner = ProjectionRunner::open(path, domain->get(), o);
    if (!runner)
        return fail(runner.error());
    ProjectionRunner *r = runner->get();
    const bool json = p.isSet(u"json"_s);

    // One control action at most, then the usual catch-up and status.
    if (p.isSet(u"pause"_s)) {
        if (auto st = r->pause(p.value(u"pause"_s)); !st)
            return fail(st.error());
    }
    if (p.isSet(u"resume"_s)) {
        if (auto st = r->resume(p.value(u"resume"_s)); !st)
            return fail(st.error());
    }
    if (p.isSet(u"skip"_s)) {
        if (auto st = r->skip(p.value(u"skip"_s), p.value(u"reason"_s), p.value(u"actor"_s)); !st)
            return fail(st.error());
    }
    if (p.isSet(u"delay"_s)) {
        const QString spec = p.value(u"delay"_s);
        const qsizetype eq = spec.indexOf(u'=');
        qint64 ms = 0;
        if (eq <= 0 || !parseInt(spec.mid(eq + 1), &ms))
            return usage(u"--delay takes NAME=MS (MS -1 restores the pack's default)"_s);
        if (auto st = r->setDelay(spec.left(eq), int(ms)); !st)
            return fail(st.error());
    }
    if (p.isSet(u"rebuild"_s)) {
        const bool tty = !json;
        auto d = r->rebuild(p.value(u"rebuild"_s), p.isSet(u"dry-run"_s), [tty](qint64 done, qint64 head) {
            if (tty && head > 100000)
                err() << "\rrebuilding: " << done << " / " << head << Qt::flush;
            return true;
        });
        if (tty)
            err() << "\r" << Qt::flush;
        if (!d)
            return fail(d.error());
        if (json)
            printJson(d->toJson());
        else
            printDiff(*d, !p.isSet(u"dry-run"_s));
        return exitcode::Ok;
    }
    if (!p.isSet(u"status"_s)) {
        auto applied = r->catchUp();
        if (!applied)
            return fail(applied.error());
    }
    if (p.isSet(u"follow"_s)) {
        QObject::connect(r, &ProjectionRunner::statusChanged, [json](const ProjectionStatus &s) {
            if (json)
                out() << QJsonDocument(s.toJson()).toJson(QJsonDocument::Compact) << Qt::endl;
            else
                out() << projectionStatusLine(s) << Qt::endl;
        });
        QObject::connect(r, &ProjectionRunner::pagesInvalidated,
                         [json](const QString &projection, const QStringList &paths, qint64 position) {
                             if (!json)
                                 out() << "invalidate " << projection << " @" << position << ": "
                                       << paths.join(u' ') << Qt::endl;
                         });
        r->start();
        return QCoreApplication::exec();
    }
    const QList<ProjectionStatus> statuses = r->statuses();
    bool failed = false;
    QJsonArray a;
    for (const ProjectionStatus &s : statuses) {
        failed |= s.state == ProjectionState::Failed;
        a.append(s.toJson());
    }
    if (json) {
        printJson(a);
    } else {
        if (statuses.isEmpty())
            out() << "the pack declares no projections" << Qt::endl;
        for (const ProjectionStatus &s : statuses)
            out() << projectionStatusLine(s) << Qt::endl;
    }
    return failed ? exitcode::Failed : exitcode::Ok;
}

QString cellText(const QJsonValue &v)
{
    if (v.isString())
        return v.toString();
    if (v.isNull() || v.isUndefined())
        return u"null"_s;
    if (v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    if (v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    return v.toVariant().toString();
}

void printRow(const ReadRow &row)
{
    out() << row.key;
    for (auto it = row.value.constBegin(); it != row.value.constEnd(); ++it) {
        if (it.key() == u"html")
            continue;
        out() << "  " << it.key() << "=" << cellText(it.value());
    }
    out() << Qt::endl;
}

int cmdQuery(QCommandLineParser &p)
{
    const QStringList args = p.positionalArguments();
    if (args.size() < 2)
        return usage(u"usage: query STORE --domain PACK PROJECTION [--key K | --filter EXPR... | --search TEXT] "
                     "[--as-of POS]"_s);
    const QString path = args.at(0);
    const QString name = args.at(1);
    auto domain = openDomain(p);
    if (!domain)
        return fail(domain.error());
    QStringList declared;
    for (const ProjectionSpec &spec : (*domain)->info().projections)
        declared << spec.name;
    if (!declared.contains(name))
        return usage(u"the pack %1 has no projection named %2 (it has: %3)"_s.arg(
            (*domain)->info().name, name, declared.isEmpty() ? u"none"_s : declared.join(u", "_s)));
    const int modes = int(p.isSet(u"key"_s)) + int(p.isSet(u"search"_s)) + int(p.isSet(u"filter"_s));
    if (modes > 1)
        return usage(u"give one of --key, --filter, --search"_s);
    qint64 limit = 20;
    if (p.isSet(u"limit"_s) && (!parseInt(p.value(u"limit"_s), &limit) || limit < 1 || limit > 100000))
        return usage(u"--limit must be between 1 and 100000"_s);
    const bool json = p.isSet(u"json"_s);

    auto store = EventStore::open(path, EventStore::Mode::ReadOnly);
    if (!store)
        return fail(store.error());
    std::unique_ptr<ReadStore> readStore;
    if (p.isSet(u"as-of"_s)) {
        qint64 pos = 0;
        if (!parseInt(p.value(u"as-of"_s), &pos) || pos < 0)
            return usage(u"--as-of must be a global position (a non-negative integer)"_s);
        // Events skipped in the live model are skipped again if they still fail.
        QHash<QString, QSet<qint64>> skipped;
        auto live = ReadStore::open(p.isSet(u"read-store"_s) ? p.value(u"read-store"_s) : path, true);
        if (live) {
            if (auto records = (*live)->skips(name)) {
                for (const SkipRecord &r : *records)
                    skipped[name].insert(r.position);
            }
        }
        auto scratch = ProjectionRunner::buildAsOf(store->get(), domain->get(), pos, {name}, skipped);
        if (!scratch)
            return fail(scratch.error());
        readStore = std::move(*scratch);
    } else {
        const QString readPath = p.isSet(u"read-store"_s) ? p.value(u"read-store"_s) : path;
        auto rs = ReadStore::open(readPath, true);
        if (!rs)
            return fail(rs.error());
        readStore = std::move(*rs);
        // Queries read the read model only: say how far behind the log it is.
        auto cp = readStore->checkpoint(name);
        if (cp && *cp && !json) {
            const qint64 head = (*store)->headPosition();
            if ((*cp)->position < head)
                err() << name << " is at position " << (*cp)->position << " of " << head << " ("
                      << head - (*cp)->position << " behind; run eventscope-cli project)" << Qt::endl;
        }
    }

    if (p.isSet(u"key"_s)) {
        auto row = readStore->byKey(name, p.value(u"key"_s));
        if (!row)
            return fail(row.error());
        if (!*row) {
            err() << "eventscope-cli: " << name << " has no row " << p.value(u"key"_s) << Qt::endl;
            return exitcode::Failed;
        }
        if (json) {
            printJson((*row)->toJson());
        } else if ((*row)->value.contains(u"html"_s) && (*row)->value.contains(u"etag"_s)) {
            out() << "path: " << (*row)->key << "\nversion: " << (*row)->value.value(u"version"_s).toInteger()
                  << "\netag: " << (*row)->value.value(u"etag"_s).toString()
                  << "\ntitle: " << (*row)->value.value(u"title"_s).toString() << "\n\n"
                  << (*row)->value.value(u"html"_s).toString() << Qt::endl;
        } else {
            printRow(**row);
        }
        return exitcode::Ok;
    }
    if (p.isSet(u"search"_s)) {
        auto hits = readStore->search(name, p.value(u"search"_s), int(limit), p.isSet(u"raw"_s));
        if (!hits)
            return fail(hits.error());
        if (json) {
            QJsonArray a;
            for (const SearchHit &h : *hits)
                a.append(h.toJson());
            printJson(a);
        } else {
            for (const SearchHit &h : *hits)
                out() << QString::number(h.rank, 'f', 4) << "  " << h.key << "  " << h.snippet << Qt::endl;
        }
        return exitcode::Ok;
    }
    ListQuery q;
    for (const QString &f : p.values(u"filter"_s)) {
        auto filter = RowFilter::parse(f);
        if (!filter)
            return usage(filter.error().message);
        q.filters.append(*filter);
    }
    q.sortBy = p.value(u"sort"_s);
    q.descending = p.isSet(u"desc"_s);
    q.limit = int(limit);
    q.after = p.value(u"after"_s);
    auto page = readStore->list(name, q);
    if (!page)
        return fail(page.error());
    if (json) {
        QJsonArray rows;
        for (const ReadRow &r : page->rows)
            rows.append(r.toJson());
        QJsonObject o{{u"rows"_s, rows}};
        if (!page->nextCursor.isEmpty())
            o.insert(u"next"_s, page->nextCursor);
        printJson(o);
    } else {
        for (const ReadRow &r : page->rows)
            printRow(r);
        if (!page->nextCursor.isEmpty())
            err() << "more: --after " << page->nextCursor << Qt::endl;
    }
    return exitcode::Ok;
}

QList<Subcommand> subcommands()
{
    const auto json = [](QCommandLineParser &p) { p.addOption(jsonOption()); };
    QList<Subcommand> list;
    list.append({u"init"_s, u"init STORE"_s, u"Create an empty store (a SQLite file)."_s, cmdInit, json, {u"STORE"_s}});
    list.append({u"domain"_s, u"domain --domain PACK"_s,
                 u"Describe a domain pack: aggregates, commands and their fields, events, projections."_s, cmdDomain,
                 [](QCommandLineParser &p) {
                     p.addOption(jsonOption());
                     p.addOption(domainOption());
                 },
                 {}});
    list.append({u"exec"_s,
                 u"exec STORE --domain PACK --stream ID [--expected-version N] [--actor A] [--correlation C] COMMAND "
                 "['JSON' | --data JSON | --data-file FILE]"_s,
                 u"Send a command through the pipeline. The payload is the JSON argument, --data JSON, or read from "
                 "--data-file FILE (--data - and --data-file - read standard input; at most 64 MB). Exit 0 accepted, "
                 "3 rejected, 4 concurrency conflict, 2 usage or I/O error."_s,
                 cmdExec,
                 [](QCommandLineParser &p) {
                     p.addOption(jsonOption());
                     p.addOption(domainOption());
                     p.addOption({u"stream"_s, u"The target stream id."_s, u"ID"_s});
                     p.addOption({u"expected-version"_s, u"Fail with a conflict unless the stream is at version N (0: "
                                                         "it must not exist)."_s,
                                  u"N"_s});
                     p.addOption({u"actor"_s, u"Who sends the command (default: $USER)."_s, u"A"_s});
                     p.addOption({u"correlation"_s, u"Correlation id (default: the command id)."_s, u"C"_s});
                     p.addOption({u"command-id"_s, u"Command id; a repeated id returns its outcome when it was "
                                                   "accepted or rejected (after a conflict or a failure it runs again)."_s,
                                  u"ID"_s});
                     p.addOption({u"data"_s, u"The payload as JSON text; - reads it from standard input."_s,
                                  u"JSON"_s});
                     p.addOption({u"data-file"_s, u"Read the payload from FILE (- for standard input)."_s,
                                  u"FILE"_s});
                     p.addOption({u"max-reactions"_s, u"Stop the command's reactions after N reaction commands "
                                                      "(default 1000)."_s,
                                  u"N"_s});
                 },
                 {u"STORE"_s, u"COMMAND"_s, u"JSON"_s}});
    list.append({u"events"_s,
                 u"events STORE [--stream ID] [--type T]... [--correlation C] [--actor A] [--since T] [--until T] "
                 "[--from POS] [--limit N]"_s,
                 u"List events in global order."_s, cmdEvents,
                 [](QCommandLineParser &p) {
                     p.addOption(jsonOption());
                     p.addOption({u"stream"_s, u"Only this stream."_s, u"ID"_s});
                     p.addOption({u"type"_s, u"Only this event type (repeatable)."_s, u"T"_s});
                     p.addOption({u"correlation"_s, u"Only this correlation id."_s, u"C"_s});
                     p.addOption({u"actor"_s, u"Only this actor."_s, u"A"_s});
                     p.addOption({u"since"_s, u"Recorded at or after (ISO 8601)."_s, u"TIME"_s});
                     p.addOption({u"until"_s, u"Recorded at or before (ISO 8601)."_s, u"TIME"_s});
                     p.addOption({u"from"_s, u"Start at this global position."_s, u"POS"_s});
                     p.addOption({u"limit"_s, u"At most N events (default 100)."_s, u"N"_s});
                 },
                 {u"STORE"_s}});
    list.append({u"streams"_s, u"streams STORE [--prefix P]"_s,
                 u"List streams with their type, version, first and last timestamps."_s, cmdStreams,
                 [](QCommandLineParser &p) {
                     p.addOption(jsonOption());
                     p.addOption({u"prefix"_s, u"Only streams whose id starts with P."_s, u"P"_s});
                 },
                 {u"STORE"_s}});
    list.append({u"replay"_s,
                 u"replay STORE --domain PACK --stream ID [--to-version N | --at-position P | --at-time ISO8601]"_s,
                 u"Rebuild an aggregate's state as of a point in its history and print it as JSON."_s, cmdReplay,
                 [](QCommandLineParser &p) {
                     p.addOption(jsonOption());
                     p.addOption(domainOption());
                     p.addOption({u"stream"_s, u"The stream to replay."_s, u"ID"_s});
                     p.addOption({u"to-version"_s, u"Up to and including this stream version."_s, u"N"_s});
                     p.addOption({u"at-position"_s, u"As of this global position."_s, u"P"_s});
                     p.addOption({u"at-time"_s, u"As of this time (ISO 8601)."_s, u"TIME"_s});
                     p.addOption({u"no-snapshots"_s, u"Fold every event from the start."_s});
                 },
                 {u"STORE"_s}});
    list.append({u"verify"_s, u"verify STORE"_s,
                 u"Recompute the hash chain. Exit 0 when intact, 1 with the first bad position otherwise."_s,
                 cmdVerify,
                 [](QCommandLineParser &p) {
                     p.addOption(jsonOption());
                     p.addOption({u"quiet"_s, u"No progress output."_s});
                 },
                 {u"STORE"_s}});
    list.append({u"export"_s, u"export STORE [--from POS]"_s, u"Write events as JSON Lines to standard output."_s,
                 cmdExport, [](QCommandLineParser &p) { p.addOption({u"from"_s, u"Start position."_s, u"POS"_s}); },
                 {u"STORE"_s}});
    list.append({u"import"_s, u"import STORE FILE"_s,
                 u"Read JSON Lines written by export. A bad line is reported with its number and nothing of the file "
                 "is written."_s,
                 cmdImport, [](QCommandLineParser &) {}, {u"STORE"_s, u"FILE"_s}});
    list.append({u"generate"_s, u"generate STORE --domain PACK --commands N [--seed S]"_s,
                 u"Drive the real pipeline with a seeded random workload (rejections and conflicts included). "
                 "Creates STORE when missing."_s,
                 cmdGenerate,
                 [](QCommandLineParser &p) {
                     p.addOption(jsonOption());
                     p.addOption(domainOption());
                     p.addOption({u"commands"_s, u"How many commands (default 1000)."_s, u"N"_s, u"1000"_s});
                     p.addOption({u"seed"_s, u"Random seed (default 1): the same seed gives the same commands."_s,
                                  u"S"_s});
                     p.addOption({u"durable"_s, u"fsync every command (synchronous=FULL); slower."_s});
                     p.addOption({u"quiet"_s, u"No progress output."_s});
                     p.addOption({u"progress-lines"_s, u"After each command's commit, print \"committed N head "
                                                       "POSITION\" on standard output."_s});
                 },
                 {u"STORE"_s}});
    list.append({u"commands"_s, u"commands STORE"_s,
                 u"The command log: every command with its outcome, events and stage timings."_s, cmdCommands, json,
                 {u"STORE"_s}});
    list.append({u"project"_s,
                 u"project STORE --domain PACK [--status] [--rebuild NAME [--dry-run]] [--resume NAME | --skip NAME "
                 "| --pause NAME | --delay NAME=MS] [--follow]"_s,
                 u"Run the pack's projections: catch each read model up from its checkpoint (exactly once), print "
                 "position, lag and state. Exit 1 when a projection is stopped by an error."_s,
                 cmdProject,
                 [](QCommandLineParser &p) {
                     p.addOption(jsonOption());
                     p.addOption(domainOption());
                     p.addOption({u"status"_s, u"Only print the status; apply nothing."_s});
                     p.addOption({u"rebuild"_s, u"Rebuild NAME from position 0 into shadow tables, print the diff "
                                                "with the live model, then swap."_s,
                                  u"NAME"_s});
                     p.addOption({u"dry-run"_s, u"With --rebuild: print the diff, keep the live model."_s});
                     p.addOption({u"resume"_s, u"Resume NAME (retries the event it stopped at)."_s, u"NAME"_s});
                     p.addOption({u"skip"_s, u"Skip the event NAME stopped at (audited)."_s, u"NAME"_s});
                     p.addOption({u"reason"_s, u"Why the event is skipped (with --skip)."_s, u"TEXT"_s});
                     p.addOption({u"actor"_s, u"Who skips it (default: $USER)."_s, u"A"_s});
                     p.addOption({u"pause"_s, u"Pause NAME."_s, u"NAME"_s});
                     p.addOption({u"delay"_s, u"Artificial delay of a projection, NAME=MS (-1: the pack's)."_s,
                                  u"NAME=MS"_s});
                     p.addOption({u"follow"_s, u"Keep running: follow new events live, print status changes."_s});
                     p.addOption({u"batch"_s, u"Events per transaction (default 1000)."_s, u"N"_s});
                     p.addOption({u"read-store"_s, u"Keep the read models in FILE instead of STORE."_s, u"FILE"_s});
                 },
                 {u"STORE"_s}});
    list.append({u"query"_s,
                 u"query STORE --domain PACK PROJECTION [--key K | --filter EXPR... | --search TEXT] [--sort COL] "
                 "[--desc] [--limit N] [--after CURSOR] [--as-of POS]"_s,
                 u"Read a read model: one row (or page) by key, a filtered and sorted list with keyset paging, or a "
                 "ranked full-text search. --as-of builds it as of a position in memory, leaving the live one "
                 "alone. Filters: col=v, col!=v, col<v, col<=v, col>v, col>=v, col~text, col^prefix."_s,
                 cmdQuery,
                 [](QCommandLineParser &p) {
                     p.addOption(jsonOption());
                     p.addOption(domainOption());
                     p.addOption({u"key"_s, u"The row's key (a page's path)."_s, u"K"_s});
                     p.addOption({u"filter"_s, u"A condition (repeatable)."_s, u"EXPR"_s});
                     p.addOption({u"search"_s, u"Full-text search (search projections)."_s, u"TEXT"_s});
                     p.addOption({u"raw"_s, u"With --search: TEXT is FTS5 query syntax."_s});
                     p.addOption({u"sort"_s, u"Sort by this column (default: the key)."_s, u"COL"_s});
                     p.addOption({u"desc"_s, u"Sort descending."_s});
                     p.addOption({u"limit"_s, u"Rows per page (default 20)."_s, u"N"_s});
                     p.addOption({u"after"_s, u"The cursor printed by the previous page."_s, u"CURSOR"_s});
                     p.addOption({u"as-of"_s, u"Build the projection as of this global position."_s, u"POS"_s});
                     p.addOption({u"read-store"_s, u"The read models are in FILE, not in STORE."_s, u"FILE"_s});
                 },
                 {u"STORE"_s, u"PROJECTION"_s}});
    return list;
}

void printOverview(const QList<Subcommand> &list)
{
    out() << "eventscope-cli: the Eventscope engine, headless.\n\nUsage: eventscope-cli SUBCOMMAND [options]\n\n";
    for (const Subcommand &s : list)
        out() << "  " << s.synopsis << "\n      " << s.description << "\n";
    out() << "  bench [--events N] [--quick]\n      Benchmark the engine against raw SQLite baselines.\n";
    out() << "  bench --postgres URL [--events N] [--commands N] [--quick]\n      The PostgreSQL figures against raw "
             "libpq baselines.\n";
    out() << "\nSTORE is a store file path (or :memory:). `eventscope-cli SUBCOMMAND --help` for details.\n"
          << "Exit codes: 0 ok, 1 check failed (verify), 2 usage or I/O error, 3 rejected, 4 conflict.\n"
          << Qt::flush;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"eventscope-cli"_s);
    QCoreApplication::setApplicationVersion(u"0.1.0"_s);
    QStringList args = QCoreApplication::arguments();
    const QList<Subcommand> list = subcommands();
    if (args.size() < 2 || args.at(1) == u"--help"_s || args.at(1) == u"-h"_s || args.at(1) == u"help"_s) {
        printOverview(list);
        return args.size() < 2 ? exitcode::Usage : exitcode::Ok;
    }
    if (args.at(1) == u"--version"_s) {
        out() << "eventscope-cli " << QCoreApplication::applicationVersion() << Qt::endl;
        return exitcode::Ok;
    }
    const QString name = args.at(1);
    if (name == u"bench"_s) {
        if (std::any_of(args.cbegin(), args.cend(), [](const QString &a) { return a.startsWith(u"--postgres"_s); }))
            return runPostgresBench(args.mid(1));
        return runBench(args.mid(1));
    }
    for (const Subcommand &s : list) {
        if (s.name != name)
            continue;
        QCommandLineParser p;
        p.setApplicationDescription(s.description + u"\n\nUsage: eventscope-cli "_s + s.synopsis);
        p.addHelpOption();
        s.options(p);
        for (const QString &pos : s.positional)
            p.addPositionalArgument(pos, QString());
        QStringList sub = args.mid(1);
        sub[0] = u"eventscope-cli "_s + name;
        if (!p.parse(sub))
            return usage(p.errorText() + u" (see eventscope-cli "_s + name + u" --help)"_s);
        if (p.isSet(u"help"_s)) {
            out() << p.helpText() << Qt::flush;
            return exitcode::Ok;
        }
        // Before the first write to a store: SQLite's quick_check (up to 64 MB). A damaged one is refused, untouched.
        static const QStringList writers = {u"init"_s, u"exec"_s, u"generate"_s, u"import"_s, u"project"_s};
        if (writers.contains(name) && !p.positionalArguments().isEmpty()) {
            auto verdict = StoreCheck::beforeWrite(p.positionalArguments().constFirst());
            if (!verdict)
                return fail(verdict.error());
            if (verdict->state == StoreVerdict::State::NotChecked && verdict->bytes > 0)
                err() << "eventscope-cli: note: " << verdict->summary << Qt::endl;
        }
        return s.run(p);
    }
    return usage(u"unknown subcommand '%1' (see eventscope-cli --help)"_s.arg(name));
}
