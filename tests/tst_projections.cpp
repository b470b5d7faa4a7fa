// Projections: the runner (exactly once, poison isolation, live follow, delay),
// the read store's queries (keyset paging, FTS ranking and snippets, pages with
// versions and invalidations), rebuild with diff and swap, and as-of.
//
// Most cases use a native test domain so that they exercise the engine alone;
// the cases at the end drive the CLI with the shop pack's JavaScript handlers.

#include "storesupport.h"
#include "testsupport.h"

#include "eventio.h"
#include "eventstore.h"
#include "jsdomain.h"
#include "projectionrunner.h"
#include "readstore.h"

#include <QBuffer>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QProcess>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

using namespace Qt::StringLiterals;
using namespace es;

namespace {

// A domain whose projections are written in C++: Balances (table), Notes
// (search) and Site (page). Version 2 changes Balances so that a rebuild has
// rows to add, remove and change; version 3 adds a column (a new shape).
class TestDomain final : public Domain {
public:
    explicit TestDomain(int version = 1)
        : m_version(version)
    {
        m_info.name = u"test"_s;
        m_info.version = QString::number(version);
        QJsonObject columns{{u"owner"_s, u"text"_s}, {u"balance"_s, u"real"_s}, {u"deposits"_s, u"integer"_s}};
        if (version >= 3)
            columns.insert(u"flagged"_s, u"integer"_s);
        m_info.projections = {
            {u"Balances"_s, u"table"_s, {u"Opened"_s, u"Deposited"_s, u"Closed"_s, u"Poison"_s},
             QJsonObject{{u"kind"_s, u"table"_s}, {u"columns"_s, columns}}},
            {u"Notes"_s, u"search"_s, {u"NoteWritten"_s, u"NoteDeleted"_s},
             QJsonObject{{u"kind"_s, u"search"_s}, {u"fields"_s, QJsonArray{u"title"_s, u"body"_s}}}},
            {u"Site"_s, u"page"_s, {u"Published"_s, u"Unpublished"_s}, QJsonObject{{u"kind"_s, u"page"_s}}},
        };
    }

    bool poison = true; // the Poison event fails the Balances handler
    qint64 projectCalls = 0;

    const DomainInfo &info() const override { return m_info; }
    Result<QJsonObject> initialState(const QString &) override { return QJsonObject{}; }
    Result<Decision> decide(const QString &, const QJsonObject &, const QString &, const QJsonObject &,
                            const DecisionContext &) override
    {
        return Error::make(ErrorCode::NotFound, u"no commands"_s);
    }
    Result<QJsonObject> evolve(const QString &, const QJsonObject &state, const RecordedEvent &) override
    {
        return state;
    }

    Result<QStringList> projectionKeys(const QString &projection, const RecordedEvent &event) override
    {
        const QJsonObject d = event.dataObject();
        if (projection == u"Balances") {
            const QString account = d.value(u"account"_s).toString();
            if (account.isEmpty() || (m_version >= 2 && account.startsWith(u'x')))
                return QStringList{};
            if (m_version >= 2 && event.type == u"Deposited")
                return QStringList{account, u"total"_s};
            return QStringList{account};
        }
        if (projection == u"Notes")
            return QStringList{d.value(u"id"_s).toString()};
        if (projection == u"Site")
            return QStringList{u"/posts/"_s + d.value(u"slug"_s).toString() + u".html"_s, u"/index.html"_s};
        return QStringList{};
    }

    Result<QJsonValue> project(const QString &projection, const QJsonValue &current, const RecordedEvent &event,
                               const QString &key) override
    {
        ++projectCalls;
        const QJsonObject d = event.dataObject();
        const QJsonObject row = current.toObject();
        if (projection == u"Balances") {
            if (event.type == u"Opened") {
                QJsonObject r{{u"owner"_s, d.value(u"owner"_s)}, {u"balance"_s, 0}, {u"deposits"_s, 0}};
                if (m_version >= 3)
                    r.insert(u"flagged"_s, d.value(u"owner"_s).toString().startsWith(u'Z') ? 1 : 0);
                return QJsonValue(r);
            }
            if (event.type == u"Deposited") {
                const double amount = d.value(u"amount"_s).toDouble() * (m_version >= 2 ? 2 : 1);
                if (key == u"total") {
                    QJsonObject r = current.isNull() ? QJsonObject{{u"owner"_s, u"all"_s}, {u"balance"_s, 0},
                                                                   {u"deposits"_s, 0}}
                                                     : row;
                    r.insert(u"balance"_s, r.value(u"balance"_s).toDouble() + amount);
                    r.insert(u"deposits"_s, r.value(u"deposits"_s).toInteger() + 1);
                    return QJsonValue(r);
                }
                if (current.isNull())
                    return QJsonValue(QJsonValue::Null);
                QJsonObject r = row;
                r.insert(u"balance"_s, r.value(u"balance"_s).toDouble() + amount);
                r.insert(u"deposits"_s, r.value(u"deposits"_s).toInteger() + 1);
                return QJsonValue(r);
            }
            if (event.type == u"Closed")
                return QJsonValue(QJsonValue::Null);
            if (event.type == u"Poison") {
                if (poison)
                    return Error::make(ErrorCode::Script, u"test.js:42: TypeError: poisoned event"_s);
                return current;
            }
            return current;
        }
        if (projection == u"Notes") {
            if (event.type == u"NoteDeleted")
                return QJsonValue(QJsonValue::Null);
            return QJsonValue(QJsonObject{{u"title"_s, d.value(u"title"_s)},
                                          {u"body"_s, d.value(u"body"_s)},
                                          {u"tags"_s, d.value(u"tags"_s)},
                                          {u"stars"_s, d.value(u"stars"_s)}});
        }
        if (projection == u"Site") {
            const QString slug = d.value(u"slug"_s).toString();
            if (key == u"/index.html") {
                QJsonArray slugs = row.value(u"data"_s).toObject().value(u"slugs"_s).toArray();
                QJsonArray kept;
                for (const QJsonValue &s : slugs) {
                    if (s.toString() != slug)
                        kept.append(s);
                }
                if (event.type == u"Published")
                    kept.append(slug);
                QString html = u"<ul>"_s;
                for (const QJsonValue &s : std::as_const(kept))
                    html += u"<li>"_s + s.toString() + u"</li>"_s;
                html += u"</ul>"_s;
                return QJsonValue(QJsonObject{{u"title"_s, u"Index"_s},
                                              {u"html"_s, html},
                                              {u"data"_s, QJsonObject{{u"slugs"_s, kept}}}});
            }
            if (event.type == u"Unpublished")
                return QJsonValue(QJsonValue::Null);
            return QJsonValue(QJsonObject{{u"title"_s, d.value(u"title"_s)},
                                          {u"html"_s, QString(u"<h1>"_s + d.value(u"title"_s).toString() + u"</h1>"_s)},
                                          {u"data"_s, QJsonObject{{u"slug"_s, QJsonValue(slug)}}}});
        }
        return current;
    }

private:
    int m_version;
    DomainInfo m_info;
};

qint64 appendOne(EventStore *store, const QString &stream, const QString &type, const QJsonObject &data)
{
    AppendRequest req;
    req.stream = stream;
    req.streamType = stream.startsWith(u"account-"_s) ? u"Account"_s : u"Test"_s;
    req.events.append(NewEvent{QString(), type, data, QJsonObject{}, 1, 0});
    auto r = store->append(req);
    if (!r)
        qFatal("append failed: %s", qPrintable(r.error().message));
    return r->lastPosition();
}

// A deterministic history touching every projection: accounts, deposits,
// closures, notes and published pages.
void appendHistory(EventStore *store, int accounts, int depositsPerAccount)
{
    for (int a = 0; a < accounts; ++a) {
        const QString account = (a % 5 == 4 ? u"x"_s : u"a"_s) + QString::number(a);
        AppendRequest req;
        req.stream = u"account-"_s + account;
        req.streamType = u"Account"_s;
        req.events.append(NewEvent{{}, u"Opened"_s, {{u"account"_s, account}, {u"owner"_s, u"Owner %1"_s.arg(a)}}, {},
                                   1, 0});
        for (int d = 0; d < depositsPerAccount; ++d)
            req.events.append(
                NewEvent{{}, u"Deposited"_s, {{u"account"_s, account}, {u"amount"_s, 10 + d + a % 7}}, {}, 1, 0});
        if (a % 9 == 8)
            req.events.append(NewEvent{{}, u"Closed"_s, {{u"account"_s, account}}, {}, 1, 0});
        if (!store->append(req))
            qFatal("append failed");
        if (a % 3 == 0)
            appendOne(store, u"note-%1"_s.arg(a), u"NoteWritten"_s,
                      {{u"id"_s, u"n%1"_s.arg(a)},
                       {u"title"_s, u"Note %1"_s.arg(a)},
                       {u"body"_s, u"about account %1 and mugs"_s.arg(a)}});
        if (a % 4 == 0)
            appendOne(store, u"post-%1"_s.arg(a), u"Published"_s,
                      {{u"slug"_s, u"p%1"_s.arg(a % 12)}, {u"title"_s, u"Post %1"_s.arg(a)}});
        if (a % 8 == 7)
            appendOne(store, u"post-%1"_s.arg(a), u"Unpublished"_s, {{u"slug"_s, u"p%1"_s.arg((a - 3) % 12)}});
    }
}

QJsonObject dumpAll(ReadStore *rs, const QStringList &projections)
{
    QJsonObject o;
    for (const QString &p : projections) {
        auto d = rs->dump(p);
        if (!d)
            qFatal("dump %s: %s", qPrintable(p), qPrintable(d.error().message));
        o.insert(p, *d);
    }
    return o;
}

const QStringList AllProjections{u"Balances"_s, u"Notes"_s, u"Site"_s};

// The child process of the crash test: runs the runner in small batches and
// dies hard (no cleanup, no rollback, no destructors) at a chosen point.
int runChild()
{
    const QString path = qEnvironmentVariable("ES_PROJECTIONS_CHILD");
    const qint64 exitAfter = qEnvironmentVariableIntValue("ES_EXIT_AFTER_BATCHES");
    const bool midBatch = qEnvironmentVariableIsSet("ES_EXIT_MID_BATCH");
    TestDomain domain;
    domain.poison = false;
    ProjectionRunner::Options o;
    o.batchSize = 100;
    o.batchHook = [&](const ProjectionRunner::BatchInfo &b) {
        // Mid-batch: the rows and the checkpoint are written but not committed.
        if (midBatch && !b.committed && b.batches == exitAfter)
            std::_Exit(42);
        if (!midBatch && b.committed && b.batches == exitAfter)
            std::_Exit(42);
    };
    auto runner = ProjectionRunner::open(path, &domain, o);
    if (!runner) {
        fprintf(stderr, "%s\n", qPrintable(runner.error().message));
        return 2;
    }
    auto r = (*runner)->catchUp();
    return r ? 0 : 3;
}

struct CliRun {
    int code = -1;
    QByteArray out;
    QByteArray err;
};

CliRun cli(const QStringList &args, const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(cliPath(), args);
    if (!p.waitForFinished(300000))
        qWarning() << "eventscope-cli timed out" << args;
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

QString shopPack()
{
    return sourcePath(u"resources/domains/shop.js"_s);
}

// The JavaScript projection handlers land separately; until they do, the
// cases that need them say so instead of failing.
bool jsProjectionsAvailable()
{
    auto d = JsDomain::load(shopPack());
    if (!d)
        return false;
    RecordedEvent e;
    e.position = 1;
    e.stream = u"order-o1"_s;
    e.version = 1;
    e.type = u"OrderPlaced"_s;
    e.eventId = u"00000000-0000-4000-8000-000000000001"_s;
    e.data = R"({"orderId":"o1","customer":"Ann","items":[{"sku":"MUG","quantity":1,"unitPrice":5}],"total":5,"placedAt":"2024-01-01T00:00:00.000Z"})";
    e.metadata = "{}";
    auto keys = (*d)->projectionKeys(u"Orders"_s, e);
    return keys && !keys->isEmpty();
}

} // namespace


// Hands every call to a JsDomain but refuses the batch protocol: the per-event
// path, to compare the batched one with.
class PerEventDomain final : public Domain {
public:
    explicit PerEventDomain(Domain *inner)
        : m_inner(inner)
    {
    }
    const DomainInfo &info() const override { return m_inner->info(); }
    Result<QJsonObject> initialState(const QString &a) override { return m_inner->initialState(a); }
    Result<Decision> decide(const QString &a, const QJsonObject &s, const QString &c, const QJsonObject &p,
                            const DecisionContext &ctx) override
    {
        return m_inner->decide(a, s, c, p, ctx);
    }
    Result<QJsonObject> evolve(const QString &a, const QJsonObject &s, const RecordedEvent &e) override
    {
        return m_inner->evolve(a, s, e);
    }
    Result<QStringList> projectionKeys(const QString &p, const RecordedEvent &e) override
    {
        return m_inner->projectionKeys(p, e);
    }
    Result<QJsonValue> project(const QString &p, const QJsonValue &c, const RecordedEvent &e,
                               const QString &k) override
    {
        return m_inner->project(p, c, e, k);
    }

private:
    Domain *m_inner;
};

// A table projection whose handlers return canonical rows, rows that need
// normalising (a boolean, a number as text, an extra property, a fraction in an
// integer column), keep a row as it was, touch two keys, delete, and throw on
// a poisoned amount.
const char *BatchPack = R"js(
(function () {
    return {
        name: "batchpack",
        version: "1",
        aggregates: { Acc: { initialState: {}, evolve: {}, commands: { Noop: { decide() { return []; } } } } },
        projections: {
            Ledger: {
                kind: "table",
                columns: { owner: "text", balance: "real", moves: "integer", note: "text" },
                key(event) { return event.data.to ? [event.data.account, event.data.to] : event.data.account; },
                handlers: {
                    Opened(row, event) { return { owner: event.data.owner, balance: 0, moves: 0, note: null }; },
                    Moved(row, event, key) {
                        if (event.data.amount === 13) throw new Error("unlucky amount");
                        const r = row || { owner: key, balance: 0, moves: 0, note: null };
                        const sign = key === event.data.account ? -1 : 1;
                        return { owner: r.owner, balance: r.balance + sign * event.data.amount, moves: r.moves + 1, note: r.note };
                    },
                    Noted(row, event) {
                        if (!row) return null;
                        switch (event.data.how) {
                        case "bool": return Object.assign({}, row, { note: true });
                        case "numtext": return Object.assign({}, row, { moves: String(row.moves) });
                        case "extra": return Object.assign({}, row, { extra: 1 });
                        case "fraction": return Object.assign({}, row, { moves: row.moves + 0.5 });
                        case "same": return row;
                        case "mutate": row.moves = row.moves + 2; return row; // in place: the row is a copy
                        default: return Object.assign({}, row, { note: event.data.how });
                        }
                    },
                    Closed() { return null; }
                }
            }
        }
    };
})()
)js";

class TestProjections : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    TestStores m_stores;
    QHash<QString, QString> m_locations;
    // Files that are not stores (packs).
    QString path(const QString &name) const { return m_dir.filePath(name); }
    // The store called `name` in this run, on the backend under test: a file in
    // the temporary directory, or a PostgreSQL database made on first use.
    QString where(const QString &name)
    {
        auto it = m_locations.constFind(name);
        if (it != m_locations.constEnd())
            return *it;
        const QString location = m_stores.location(name);
        if (location.isEmpty())
            qFatal("%s", qPrintable(m_stores.error()));
        m_locations.insert(name, location);
        return location;
    }

    // An empty store of the test's own: in memory on SQLite, a new database on PostgreSQL.
    std::unique_ptr<EventStore> memoryStore()
    {
        static int counter = 0;
        auto s = EventStore::open(testingPostgres() ? where(u"memory-%1"_s.arg(++counter)) : u":memory:"_s,
                                  EventStore::Mode::Create);
        if (!s)
            qFatal("%s", qPrintable(s.error().message));
        return std::move(*s);
    }
    std::unique_ptr<EventStore> fileStore(const QString &name)
    {
        EventStore::Options o;
        o.mode = EventStore::Mode::Create;
        o.durability = EventStore::Durability::Normal;
        auto s = EventStore::open(where(name), o);
        if (!s)
            qFatal("%s", qPrintable(s.error().message));
        return std::move(*s);
    }
    static std::unique_ptr<ProjectionRunner> makeRunner(EventStore *store, Domain *domain,
                                                        const ProjectionRunner::Options &o = {})
    {
        auto r = ProjectionRunner::create(store, domain, o);
        if (!r)
            qFatal("runner: %s", qPrintable(r.error().message));
        return std::move(*r);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qRegisterMetaType<ProjectionStatus>();
        // Without the PostgreSQL server the whole run fails here, with the reason.
        if (testingPostgres()) {
            ES_STORE_LOCATION(probe, m_stores, u"probe"_s);
        }
    }

    void namesAreValidated_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QJsonObject>("definition");
        QTest::addColumn<QString>("error");
        const QJsonObject ok{{u"columns"_s, QJsonObject{{u"a"_s, u"text"_s}}}};
        QTest::newRow("sql in the name") << u"x; DROP TABLE events"_s << ok << u"the name must match"_s;
        QTest::newRow("leading digit") << u"1abc"_s << ok << u"the name must match"_s;
        QTest::newRow("quote in a column")
            << u"T"_s << QJsonObject{{u"columns"_s, QJsonObject{{u"a\"b"_s, u"text"_s}}}} << u"column 'a\"b'"_s;
        QTest::newRow("reserved column")
            << u"T"_s << QJsonObject{{u"columns"_s, QJsonObject{{u"_key"_s, u"text"_s}}}} << u"is reserved"_s;
        QTest::newRow("same column up to case")
            << u"T"_s << QJsonObject{{u"columns"_s, QJsonObject{{u"Name"_s, u"text"_s}, {u"name"_s, u"text"_s}}}}
            << u"declared twice"_s;
        QTest::newRow("unknown type")
            << u"T"_s << QJsonObject{{u"columns"_s, QJsonObject{{u"a"_s, u"blob"_s}}}} << u"use text, integer or real"_s;
    }
    void namesAreValidated()
    {
        QFETCH(QString, name);
        QFETCH(QJsonObject, definition);
        QFETCH(QString, error);
        auto s = ProjectionSchema::fromSpec(ProjectionSpec{name, u"table"_s, {}, definition});
        QVERIFY(!s);
        QVERIFY2(s.error().message.contains(error), qPrintable(s.error().message));

        auto search = ProjectionSchema::fromSpec(
            ProjectionSpec{u"S"_s, u"search"_s, {}, QJsonObject{{u"fields"_s, QJsonArray{u"bad field"_s}}}});
        QVERIFY(!search);
        QVERIFY2(search.error().message.contains(u"field 'bad field'"_s), qPrintable(search.error().message));
        QVERIFY(!ProjectionSchema::fromSpec(ProjectionSpec{u"S"_s, u"search"_s, {}, {}}));
    }

    void tableQueries()
    {
        auto store = memoryStore();
        TestDomain domain;
        appendHistory(store.get(), 30, 3);
        auto runner = makeRunner(store.get(), &domain);
        QSignalSpy rows(runner.get(), &ProjectionRunner::rowsChanged);
        auto applied = runner->catchUp();
        QVERIFY2(applied, qPrintable(applied.error().message));
        QCOMPARE(*applied * 1, qint64(3) * store->headPosition()); // each projection passed every event
        QVERIFY(rows.count() >= 2);

        ReadStore *rs = runner->readStore();
        auto a1 = rs->byKey(u"Balances"_s, u"a1"_s);
        QVERIFY(a1 && *a1);
        QCOMPARE((*a1)->value.value(u"owner"_s).toString(), u"Owner 1"_s);
        QCOMPARE((*a1)->value.value(u"balance"_s).toDouble(), 11.0 + 12.0 + 13.0);
        QCOMPARE((*a1)->value.value(u"deposits"_s).toInteger(), 3);
        auto closed = rs->byKey(u"Balances"_s, u"a8"_s); // account 8 is closed: its row was deleted
        QVERIFY(closed && !*closed);

        // Keyset paging sorted by balance (descending), 4 rows per page: every row exactly once, in order.
        ListQuery q;
        q.sortBy = u"balance"_s;
        q.descending = true;
        q.limit = 4;
        q.filters.append(*RowFilter::parse(u"deposits>=3"_s));
        QStringList seen;
        double last = 1e9;
        for (int pages = 0; pages < 50; ++pages) {
            auto page = rs->list(u"Balances"_s, q);
            QVERIFY2(page, qPrintable(page.error().message));
            for (const ReadRow &r : page->rows) {
                const double b = r.value.value(u"balance"_s).toDouble();
                QVERIFY(b <= last);
                last = b;
                QVERIFY(!seen.contains(r.key));
                seen << r.key;
            }
            if (page->nextCursor.isEmpty())
                break;
            q.after = page->nextCursor;
        }
        auto all = rs->dump(u"Balances"_s);
        QVERIFY(all);
        QCOMPARE(seen.size(), all->size());

        // Filters: text contains (case-insensitive), prefix, equality on a number, null.
        ListQuery f;
        f.filters = {*RowFilter::parse(u"owner~OWNER 2"_s)};
        auto owners = rs->list(u"Balances"_s, f);
        QVERIFY(owners);
        QVERIFY(owners->rows.size() >= 2); // Owner 2, Owner 20..29 (minus closed)
        f.filters = {*RowFilter::parse(u"_key^x"_s)};
        auto xs = rs->list(u"Balances"_s, f);
        QVERIFY(xs && !xs->rows.isEmpty());
        for (const ReadRow &r : xs->rows)
            QVERIFY(r.key.startsWith(u'x'));
        f.filters = {*RowFilter::parse(u"owner="_s)};
        auto none = rs->list(u"Balances"_s, f);
        QVERIFY(none && none->rows.isEmpty());

        // Bad input is an error naming the problem, never SQL.
        f.filters = {RowFilter{u"nope"_s, RowFilter::Op::Eq, 1}};
        auto bad = rs->list(u"Balances"_s, f);
        QVERIFY(!bad);
        QVERIFY2(bad.error().message.contains(u"no column 'nope'"_s), qPrintable(bad.error().message));
        QVERIFY(!RowFilter::parse(u"no operator"_s));
        ListQuery badCursor;
        badCursor.after = u"garbage!"_s;
        QVERIFY(!rs->list(u"Balances"_s, badCursor));
        QVERIFY(!rs->byKey(u"Nope"_s, u"a1"_s));

        // The read tables never touch the event tables, and the store still verifies.
        auto report = store->verify();
        QVERIFY(report && report->intact);
    }

    void statusReportsPositionLagAndThroughput()
    {
        auto store = memoryStore();
        TestDomain domain;
        appendHistory(store.get(), 20, 2);
        ProjectionRunner::Options o;
        o.batchSize = 10;
        auto runner = makeRunner(store.get(), &domain, o);
        auto before = runner->status(u"Balances"_s);
        QVERIFY(before);
        QCOMPARE(before->position, 0);
        QCOMPARE(before->lagEvents, store->headPosition());
        QVERIFY(before->lagSeconds >= 0);
        QCOMPARE(before->state, ProjectionState::Running);
        QVERIFY(runner->catchUp());
        auto after = runner->status(u"Balances"_s);
        QCOMPARE(after->position, store->headPosition());
        QCOMPARE(after->lagEvents, 0);
        QCOMPARE(after->lagSeconds, 0.0);
        QVERIFY(after->eventsPerSecond > 0);
        const QJsonObject j = after->toJson();
        QCOMPARE(j.value(u"state"_s).toString(), u"running"_s);
        QCOMPARE(j.value(u"kind"_s).toString(), u"table"_s);
        QVERIFY(!runner->status(u"Nope"_s));
    }

    // The process dies between two batches, or inside one (rows written, not
    // committed); after a restart the read model equals a full rebuild.
    void exactlyOnceAfterKill_data()
    {
        QTest::addColumn<bool>("midBatch");
        QTest::newRow("between batches") << false;
        QTest::newRow("inside a batch") << true;
    }
    void exactlyOnceAfterKill()
    {
        QFETCH(bool, midBatch);
        const QString name = midBatch ? u"kill-mid.db"_s : u"kill-between.db"_s;
        qint64 head = 0;
        {
            auto store = fileStore(name);
            appendHistory(store.get(), 150, 4);
            head = store->headPosition();
        }
        QVERIFY(head > 800);

        QProcess child;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"ES_PROJECTIONS_CHILD"_s, where(name));
        env.insert(u"ES_EXIT_AFTER_BATCHES"_s, u"5"_s);
        if (midBatch)
            env.insert(u"ES_EXIT_MID_BATCH"_s, u"1"_s);
        child.setProcessEnvironment(env);
        child.start(QCoreApplication::applicationFilePath(), {});
        QVERIFY(child.waitForFinished(60000));
        QCOMPARE(child.exitCode(), 42);

        TestDomain domain;
        domain.poison = false;
        ProjectionRunner::Options o;
        o.batchSize = 100;
        auto runner = ProjectionRunner::open(where(name), &domain, o);
        QVERIFY2(runner, qPrintable(runner.error().message));
        // The kill happened part way: some projections have committed batches, none is at the head.
        qint64 committed = 0;
        for (const ProjectionStatus &s : (*runner)->statuses()) {
            QVERIFY(s.position < head);
            committed += s.position;
        }
        QVERIFY(committed > 0);
        QVERIFY((*runner)->catchUp());
        for (const ProjectionStatus &s : (*runner)->statuses())
            QCOMPARE(s.position, head);
        const QJsonObject live = dumpAll((*runner)->readStore(), AllProjections);

        // A full rebuild from position 0 gives the same rows, positions and page versions.
        auto scratch = (*runner)->asOf(head);
        QVERIFY2(scratch, qPrintable(scratch.error().message));
        QCOMPARE(dumpAll(scratch->get(), AllProjections), live);
        for (const QString &p : AllProjections) {
            auto d = (*runner)->rebuild(p, true);
            QVERIFY2(d, qPrintable(d.error().message));
            QVERIFY2(d->isEmpty(), QJsonDocument(d->toJson()).toJson().constData());
        }
    }

    void poisonEventIsIsolated()
    {
        auto store = memoryStore();
        TestDomain domain;
        appendHistory(store.get(), 6, 1);
        appendOne(store.get(), u"account-a1"_s, u"Deposited"_s, {{u"account"_s, u"a1"_s}, {u"amount"_s, 5}});
        const qint64 poisonAt =
            appendOne(store.get(), u"account-a2"_s, u"Poison"_s, {{u"account"_s, u"a2"_s}});
        appendOne(store.get(), u"account-a1"_s, u"Deposited"_s, {{u"account"_s, u"a1"_s}, {u"amount"_s, 100}});
        appendOne(store.get(), u"note-z"_s, u"NoteWritten"_s,
                  {{u"id"_s, u"nz"_s}, {u"title"_s, u"after"_s}, {u"body"_s, u"the poison"_s}});
        const qint64 head = store->headPosition();

        auto runner = makeRunner(store.get(), &domain);
        QSignalSpy statuses(runner.get(), &ProjectionRunner::statusChanged);
        QVERIFY(runner->catchUp());

        auto balances = runner->status(u"Balances"_s);
        QCOMPARE(balances->state, ProjectionState::Failed);
        QCOMPARE(balances->position, poisonAt - 1); // everything before it, in the same batch, was applied
        QCOMPARE(balances->errorPosition, poisonAt);
        QCOMPARE(balances->errorEventType, u"Poison"_s);
        QVERIFY(!balances->errorEventId.isEmpty());
        QVERIFY2(balances->lastError.contains(u"poisoned event"_s) && balances->lastError.contains(u"Balances"_s),
                 qPrintable(balances->lastError));
        QCOMPARE(balances->lagEvents, head - poisonAt + 1);
        bool sawFailed = false;
        for (const QList<QVariant> &args : statuses)
            sawFailed |= args.at(0).value<ProjectionStatus>().state == ProjectionState::Failed;
        QVERIFY(sawFailed);
        // The others ran to the head.
        QCOMPARE(runner->status(u"Notes"_s)->position, head);
        QCOMPARE(runner->status(u"Site"_s)->position, head);
        QVERIFY(runner->readStore()->byKey(u"Notes"_s, u"nz"_s)->has_value());
        QCOMPARE(runner->readStore()->byKey(u"Balances"_s, u"a1"_s)->value().value.value(u"balance"_s).toDouble(),
                 11.0 + 5.0);

        // The failure survives a restart.
        runner.reset();
        runner = makeRunner(store.get(), &domain);
        QVERIFY(runner->catchUp());
        QCOMPARE(runner->status(u"Balances"_s)->state, ProjectionState::Failed);
        QVERIFY(!runner->resume(u"Nope"_s));

        // Skip: leaves an audit record and goes on.
        auto skipped = runner->skip(u"Balances"_s, u"known bad data"_s, u"tester"_s);
        QVERIFY2(skipped, qPrintable(skipped.error().message));
        QVERIFY(runner->catchUp());
        QCOMPARE(runner->status(u"Balances"_s)->state, ProjectionState::Running);
        QCOMPARE(runner->status(u"Balances"_s)->position, head);
        QCOMPARE(runner->status(u"Balances"_s)->skipped, 1);
        QCOMPARE(runner->readStore()->byKey(u"Balances"_s, u"a1"_s)->value().value.value(u"balance"_s).toDouble(),
                 116.0);
        auto audit = runner->readStore()->skips(u"Balances"_s);
        QVERIFY(audit);
        QCOMPARE(audit->size(), 1);
        QCOMPARE(audit->first().position, poisonAt);
        QCOMPARE(audit->first().actor, u"tester"_s);
        QCOMPARE(audit->first().reason, u"known bad data"_s);
        QCOMPARE(audit->first().eventType, u"Poison"_s);
        QCOMPARE(audit->first().stream, u"account-a2"_s);
        QVERIFY(audit->first().error.contains(u"poisoned"_s));
        QVERIFY(!runner->skip(u"Balances"_s)); // nothing to skip any more

        // A rebuild meets the skipped event again: still failing, it is skipped again.
        auto d = runner->rebuild(u"Balances"_s);
        QVERIFY2(d, qPrintable(d.error().message));
        QVERIFY(d->isEmpty());

        // Resume after fixing the pack: the event is retried with the new handlers.
        const qint64 second = appendOne(store.get(), u"account-a3"_s, u"Poison"_s, {{u"account"_s, u"a3"_s}});
        QVERIFY(runner->catchUp());
        QCOMPARE(runner->status(u"Balances"_s)->errorPosition, second);
        TestDomain fixed;
        fixed.poison = false;
        QVERIFY(runner->setDomain(&fixed));
        QCOMPARE(runner->status(u"Balances"_s)->state, ProjectionState::Failed); // until resumed
        QVERIFY(runner->resume(u"Balances"_s));
        QVERIFY(runner->catchUp());
        QCOMPARE(runner->status(u"Balances"_s)->state, ProjectionState::Running);
        QCOMPARE(runner->status(u"Balances"_s)->position, second);
        QVERIFY(runner->status(u"Balances"_s)->lastError.isEmpty());
        QCOMPARE(runner->readStore()->skips(u"Balances"_s)->size(), 1);
    }

    // The batched calls (one per batch into the engine) give exactly what the
    // per-event calls give, rows needing normalisation included; a throwing
    // handler still stops the projection at its event.
    void batchedCallsEqualPerEventCalls()
    {
        const QString packPath = path(u"batchpack.js"_s);
        {
            QFile f(packPath);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(BatchPack);
        }
        auto js = JsDomain::load(packPath);
        QVERIFY2(js, qPrintable(js.error().message));
        QVERIFY((*js)->canProjectBatch());
        PerEventDomain perEvent(js->get());

        auto store = memoryStore();
        const QStringList hows{u"bool"_s, u"numtext"_s, u"extra"_s, u"fraction"_s, u"same"_s, u"text"_s, u"mutate"_s};
        for (int a = 0; a < 40; ++a) {
            const QString account = u"acc%1"_s.arg(a % 7);
            appendOne(store.get(), u"acc-"_s + account, u"Opened"_s, {{u"account"_s, account}, {u"owner"_s, account}});
            appendOne(store.get(), u"acc-"_s + account, u"Moved"_s,
                      {{u"account"_s, account}, {u"to"_s, u"acc%1"_s.arg((a + 3) % 7)}, {u"amount"_s, a + 20}});
            appendOne(store.get(), u"acc-"_s + account, u"Noted"_s,
                      {{u"account"_s, account}, {u"how"_s, hows.at(a % hows.size())}});
            if (a % 11 == 10)
                appendOne(store.get(), u"acc-"_s + account, u"Closed"_s, {{u"account"_s, account}});
        }
        const qint64 head = store->headPosition();
        const QStringList ledger{u"Ledger"_s};
        auto batched = ProjectionRunner::buildAsOf(store.get(), js->get(), head, ledger);
        QVERIFY2(batched, qPrintable(batched.error().message));
        auto single = ProjectionRunner::buildAsOf(store.get(), &perEvent, head, ledger);
        QVERIFY2(single, qPrintable(single.error().message));
        const QJsonObject expected = dumpAll(single->get(), ledger);
        QVERIFY(!expected.value(u"Ledger"_s).toArray().isEmpty());
        QCOMPARE(dumpAll(batched->get(), ledger), expected);

        // Live, in small batches, then a poisoned event in the middle of a batch.
        ProjectionRunner::Options o;
        o.batchSize = 7;
        o.projections = ledger;
        auto runner = makeRunner(store.get(), js->get(), o);
        QVERIFY(runner->catchUp());
        QCOMPARE(dumpAll(runner->readStore(), ledger), expected);

        // The engine keeps rows between batches (by slot, one session per writer):
        // a rebuild in batches of 7, where rows span many batches and some events
        // take the per-event path in between, equals the per-event model too.
        QVERIFY(runner->startRebuild(u"Ledger"_s, false));
        QVERIFY(runner->buildShadow(u"Ledger"_s));
        auto rebuilt = runner->shadowDiff(u"Ledger"_s, 10);
        QVERIFY2(rebuilt, qPrintable(rebuilt.error().message));
        QVERIFY2(rebuilt->isEmpty(), QJsonDocument(rebuilt->toJson()).toJson().constData());
        QVERIFY(runner->swapShadow(u"Ledger"_s));
        QCOMPARE(dumpAll(runner->readStore(), ledger), expected);
        // Live again after the swap (a new writer, a new session), on rows the
        // rebuild's session left in the engine: still the per-event result.
        appendOne(store.get(), u"acc-acc4"_s, u"Moved"_s,
                  {{u"account"_s, u"acc4"_s}, {u"to"_s, u"acc5"_s}, {u"amount"_s, 7}});
        QVERIFY(runner->catchUp());
        auto single2 = ProjectionRunner::buildAsOf(store.get(), &perEvent, store->headPosition(), ledger);
        QVERIFY2(single2, qPrintable(single2.error().message));
        QCOMPARE(dumpAll(runner->readStore(), ledger), dumpAll(single2->get(), ledger));

        appendOne(store.get(), u"acc-acc1"_s, u"Moved"_s, {{u"account"_s, u"acc1"_s}, {u"amount"_s, 5}});
        const qint64 poison = appendOne(store.get(), u"acc-acc2"_s, u"Moved"_s,
                                        {{u"account"_s, u"acc2"_s}, {u"amount"_s, 13}});
        appendOne(store.get(), u"acc-acc3"_s, u"Moved"_s, {{u"account"_s, u"acc3"_s}, {u"amount"_s, 6}});
        ProjectionRunner::Options big;
        big.projections = ledger;
        runner.reset();
        runner = makeRunner(store.get(), js->get(), big);
        QVERIFY(runner->catchUp());
        auto st = runner->status(u"Ledger"_s);
        QVERIFY(st);
        QCOMPARE(st->state, ProjectionState::Failed);
        QCOMPARE(st->errorPosition, poison);
        QCOMPARE(st->position, poison - 1); // the event before it was applied
        QVERIFY2(st->lastError.contains(u"unlucky amount"_s), qPrintable(st->lastError));
        QVERIFY2(st->lastError.contains(u"key 'acc2'"_s), qPrintable(st->lastError));
        QVERIFY(runner->skip(u"Ledger"_s, u"test"_s, u"tester"_s));
        QVERIFY(runner->catchUp());
        st = runner->status(u"Ledger"_s);
        QCOMPARE(st->state, ProjectionState::Running);
        QCOMPARE(st->position, poison + 1);
        // A rebuild skips it again and equals the live model.
        auto d = runner->rebuild(u"Ledger"_s, true);
        QVERIFY2(d, qPrintable(d.error().message));
        QVERIFY2(d->isEmpty(), QJsonDocument(d->toJson()).toJson().constData());
    }

    void rebuildDiffThenSwap()
    {
        auto store = memoryStore();
        TestDomain v1;
        appendHistory(store.get(), 15, 2);
        auto runner = makeRunner(store.get(), &v1);
        QVERIFY(runner->catchUp());
        const QJsonObject before = dumpAll(runner->readStore(), {u"Balances"_s});

        // Version 2 of the handlers: a rebuild shows what they change.
        TestDomain v2(2);
        QVERIFY(runner->setDomain(&v2));
        QCOMPARE(runner->status(u"Balances"_s)->state, ProjectionState::Running); // same shape
        QVERIFY(runner->buildShadow(u"Balances"_s));
        QCOMPARE(runner->status(u"Balances"_s)->state, ProjectionState::Rebuilding);
        QVERIFY(runner->status(u"Balances"_s)->shadowReady);
        // The live model is still readable, and unchanged, while the shadow exists.
        QCOMPARE(dumpAll(runner->readStore(), {u"Balances"_s}), before);
        QCOMPARE(runner->readStore()->byKey(u"Balances"_s, u"a1"_s)->value().value.value(u"balance"_s).toDouble(),
                 11.0 + 12.0);

        auto diff = runner->shadowDiff(u"Balances"_s, 100);
        QVERIFY2(diff, qPrintable(diff.error().message));
        QCOMPARE(diff->added, 1);   // the "total" row
        QCOMPARE(diff->removed, 3); // x4, x9, x14 (x-accounts are ignored by v2); none of them closed
        QVERIFY(diff->changed > 5); // every open a-account with deposits doubled
        QCOMPARE(diff->livePosition, store->headPosition());
        QCOMPARE(diff->shadowPosition, store->headPosition());
        bool sawA1 = false;
        for (const RowChange &c : diff->samples) {
            if (c.key == u"a1") {
                sawA1 = true;
                QCOMPARE(c.kind, RowChange::Kind::Changed);
                QCOMPARE(c.before.value(u"balance"_s).toDouble(), 23.0);
                QCOMPARE(c.after.value(u"balance"_s).toDouble(), 46.0);
            }
            if (c.key == u"total")
                QCOMPARE(c.kind, RowChange::Kind::Added);
            if (c.key == u"x4")
                QCOMPARE(c.kind, RowChange::Kind::Removed);
        }
        QVERIFY(sawA1);
        const QJsonObject j = diff->toJson();
        QCOMPARE(j.value(u"added"_s).toInteger(), 1);

        QSignalSpy reset(runner.get(), &ProjectionRunner::projectionReset);
        QVERIFY(runner->swapShadow(u"Balances"_s));
        QCOMPARE(reset.count(), 1);
        QCOMPARE(runner->readStore()->byKey(u"Balances"_s, u"a1"_s)->value().value.value(u"balance"_s).toDouble(),
                 46.0);
        QVERIFY(runner->readStore()->byKey(u"Balances"_s, u"total"_s)->has_value());
        QVERIFY(!runner->readStore()->byKey(u"Balances"_s, u"x4"_s)->has_value());
        auto st = runner->status(u"Balances"_s);
        QCOMPARE(st->state, ProjectionState::Running);
        QCOMPARE(st->generation, 1);
        QCOMPARE(st->position, store->headPosition());
        // It keeps running live on the swapped tables.
        appendOne(store.get(), u"account-a1"_s, u"Deposited"_s, {{u"account"_s, u"a1"_s}, {u"amount"_s, 1}});
        QVERIFY(runner->catchUp());
        QCOMPARE(runner->readStore()->byKey(u"Balances"_s, u"a1"_s)->value().value.value(u"balance"_s).toDouble(),
                 48.0);

        // A new column is a new shape: the projection waits for a rebuild.
        TestDomain v3(3);
        QVERIFY(runner->setDomain(&v3));
        auto changed = runner->status(u"Balances"_s);
        QCOMPARE(changed->state, ProjectionState::Failed);
        QVERIFY2(changed->lastError.contains(u"rebuild"_s), qPrintable(changed->lastError));
        QVERIFY(!runner->resume(u"Balances"_s));
        auto d3 = runner->rebuild(u"Balances"_s);
        QVERIFY2(d3, qPrintable(d3.error().message));
        QVERIFY(d3->changed > 0);
        auto row = runner->readStore()->byKey(u"Balances"_s, u"a1"_s);
        QVERIFY(row->value().value.contains(u"flagged"_s));
        QCOMPARE(runner->status(u"Balances"_s)->state, ProjectionState::Running);

        // Cancelling leaves the live model alone.
        QVERIFY(runner->startRebuild(u"Notes"_s));
        QVERIFY(runner->readStore()->hasTables(u"Notes"_s, ReadStore::Tables::Shadow));
        QVERIFY(runner->cancelRebuild(u"Notes"_s));
        QVERIFY(!runner->readStore()->hasTables(u"Notes"_s, ReadStore::Tables::Shadow));
        QVERIFY(runner->readStore()->byKey(u"Notes"_s, u"n0"_s)->has_value());
    }

    void rebuildInTheBackgroundWhileLive()
    {
        auto store = memoryStore();
        TestDomain v1;
        appendHistory(store.get(), 40, 3);
        ProjectionRunner::Options o;
        o.batchSize = 50;
        auto runner = makeRunner(store.get(), &v1, o);
        runner->start();
        QTRY_COMPARE_WITH_TIMEOUT(runner->status(u"Balances"_s)->position, store->headPosition(), 10000);
        TestDomain v2(2);
        QVERIFY(runner->setDomain(&v2));
        QSignalSpy reset(runner.get(), &ProjectionRunner::projectionReset);
        QVERIFY(runner->startRebuild(u"Balances"_s, true));
        // Appends keep arriving during the rebuild; live and shadow both follow them.
        for (int i = 0; i < 20; ++i)
            appendOne(store.get(), u"account-a1"_s, u"Deposited"_s, {{u"account"_s, u"a1"_s}, {u"amount"_s, 1}});
        QTRY_COMPARE_WITH_TIMEOUT(reset.count(), 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(runner->status(u"Balances"_s)->position, store->headPosition(), 10000);
        QCOMPARE(runner->status(u"Balances"_s)->state, ProjectionState::Running);
        QCOMPARE(runner->readStore()->byKey(u"Balances"_s, u"a1"_s)->value().value.value(u"balance"_s).toDouble(),
                 (11.0 + 12.0 + 13.0 + 20.0) * 2);
        runner->stop();
    }

    // As of position P equals a rebuild over a copy of the store truncated at P.
    void asOfEqualsTruncatedRebuild()
    {
        auto store = fileStore(u"asof.db"_s);
        appendHistory(store.get(), 60, 3);
        const qint64 head = store->headPosition();
        const qint64 p = head * 3 / 5;
        TestDomain domain;
        ProjectionRunner::Options o;
        o.readStorePath = where(u"asof-read.db"_s); // the event store holds events only
        auto runner = makeRunner(store.get(), &domain, o);
        QVERIFY(runner->catchUp());
        const QJsonObject liveBefore = dumpAll(runner->readStore(), AllProjections);

        auto scratch = runner->asOf(p);
        QVERIFY2(scratch, qPrintable(scratch.error().message));
        QCOMPARE((*scratch)->checkpoint(u"Balances"_s)->value().position, p);
        // The live read store was not touched.
        QCOMPARE(dumpAll(runner->readStore(), AllProjections), liveBefore);

        // The copy, truncated at P: on SQLite a copy of the file with the append-only
        // triggers dropped on the copy only; on PostgreSQL (no file to copy) the
        // first P events exported and imported, ids, times and hashes included.
        QString truncated = path(u"truncated.db"_s);
        if (testingPostgres()) {
            QBuffer exported;
            QVERIFY(exported.open(QIODevice::ReadWrite));
            QVERIFY(eventio::exportEvents(*store, 1, exported));
            const QList<QByteArray> lines = exported.data().split('\n');
            QVERIFY(lines.size() > p);
            QBuffer firstP;
            firstP.setData(lines.mid(0, int(p)).join('\n') + '\n');
            QVERIFY(firstP.open(QIODevice::ReadOnly));
            truncated = where(u"truncated.db"_s);
            auto target = EventStore::open(truncated, EventStore::Mode::Create);
            QVERIFY2(target, qPrintable(target.error().message));
            auto imported = eventio::importEvents(**target, firstP);
            QVERIFY2(imported, qPrintable(imported.error().message));
        } else {
            QFile::remove(truncated);
            {
                QSqlQuery q(store->database());
                QVERIFY2(q.exec(u"VACUUM INTO '%1'"_s.arg(truncated)), qPrintable(q.lastError().text()));
            }
            {
                QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"truncate"_s);
                db.setDatabaseName(truncated);
                QVERIFY(db.open());
                QSqlQuery q(db);
                QVERIFY(q.exec(u"DROP TRIGGER events_append_only_delete"_s));
                QVERIFY(q.prepare(u"DELETE FROM events WHERE position > ?"_s));
                q.addBindValue(p);
                QVERIFY(q.exec());
                q.finish();
                db.close();
            }
            QSqlDatabase::removeDatabase(u"truncate"_s);
        }
        EventStore::Options so;
        so.mode = EventStore::Mode::ReadWrite;
        auto copy = EventStore::open(truncated, so);
        QVERIFY2(copy, qPrintable(copy.error().message));
        QCOMPARE((*copy)->headPosition(), p);
        auto rebuilt = makeRunner(copy->get(), &domain);
        QVERIFY(rebuilt->catchUp());
        const QJsonObject expected = dumpAll(rebuilt->readStore(), AllProjections);
        const QJsonObject asOf = dumpAll(scratch->get(), AllProjections);
        QCOMPARE(asOf, expected);
        QVERIFY(asOf != liveBefore);
        // Queries work on the scratch store like on the live one.
        QVERIFY((*scratch)->byKey(u"Balances"_s, u"a1"_s)->has_value());
        QVERIFY(runner->asOf(head + 1000)); // beyond the head: as of the head
        QVERIFY(!runner->asOf(p, {u"Nope"_s}));
    }

    void fullTextRankingAndSnippets()
    {
        auto store = memoryStore();
        TestDomain domain;
        auto note = [&](const QString &id, const QString &title, const QString &body) {
            appendOne(store.get(), u"note-"_s + id, u"NoteWritten"_s,
                      {{u"id"_s, id}, {u"title"_s, title}, {u"body"_s, body}, {u"stars"_s, id.size()}});
        };
        note(u"red"_s, u"Red mug"_s, u"A red mug for coffee. The mug holds 300 ml; a mug to love."_s);
        note(u"cup"_s, u"Blue cup"_s, u"A cup, not a mug, for tea and coffee"_s);
        note(u"pot"_s, u"Teapot"_s, u"<script>alert('x')</script> brews tea for four"_s);
        note(u"cafe"_s, u"Café crème"_s, u"Espresso with foamed milk"_s);
        auto runner = makeRunner(store.get(), &domain);
        QVERIFY(runner->catchUp());
        ReadStore *rs = runner->readStore();

        auto hits = rs->search(u"Notes"_s, u"mug"_s);
        QVERIFY2(hits, qPrintable(hits.error().message));
        QCOMPARE(hits->size(), 2);
        QCOMPARE(hits->at(0).key, u"red"_s); // three matches and the title: most relevant first
        QCOMPARE(hits->at(1).key, u"cup"_s);
        QVERIFY(hits->at(0).rank < hits->at(1).rank);
        QVERIFY2(hits->at(0).snippet.contains(u"<mark>mug</mark>"_s), qPrintable(hits->at(0).snippet));
        QCOMPARE(hits->at(0).document.value(u"title"_s).toString(), u"Red mug"_s);

        // Snippets are HTML: the document text is escaped, only the marks are tags.
        auto tea = rs->search(u"Notes"_s, u"brews"_s);
        QVERIFY(tea && tea->size() == 1);
        QVERIFY2(tea->at(0).snippet.contains(u"&lt;script&gt;"_s), qPrintable(tea->at(0).snippet));
        QVERIFY(!tea->at(0).snippet.contains(u"<script>"_s));
        QVERIFY(tea->at(0).snippet.contains(u"<mark>brews</mark>"_s));

        // Several words: all must match; a trailing * is a prefix; diacritics fold.
        QCOMPARE(rs->search(u"Notes"_s, u"coffee tea"_s)->size(), 1);
        QCOMPARE(rs->search(u"Notes"_s, u"coff*"_s)->size(), 2);
        QCOMPARE(rs->search(u"Notes"_s, u"cafe"_s)->size(), 1);
        // User input with operators and quotes is only text.
        QVERIFY(rs->search(u"Notes"_s, u"mug\" OR \"tea"_s));
        QCOMPARE(rs->search(u"Notes"_s, u"NOT"_s)->size(), 1); // "not a mug"
        // FTS5 syntax when asked for; its errors are errors, not crashes.
        QCOMPARE(rs->search(u"Notes"_s, u"mug NOT blue"_s, 20, true)->size(), 1);
        auto broken = rs->search(u"Notes"_s, u"mug AND"_s, 20, true);
        QVERIFY(!broken);
        QCOMPARE(broken.error().code, ErrorCode::Invalid);
        QVERIFY(!rs->search(u"Notes"_s, u"   "_s));
        QVERIFY(!rs->search(u"Balances"_s, u"mug"_s)); // not a search projection
        // Other document fields are stored and can be listed and filtered.
        ListQuery q;
        q.filters = {*RowFilter::parse(u"stars>=4"_s)};
        q.sortBy = u"title"_s;
        auto listed = rs->list(u"Notes"_s, q);
        QVERIFY2(listed, qPrintable(listed.error().message));
        QCOMPARE(listed->rows.size(), 1);
        QCOMPARE(listed->rows.at(0).key, u"cafe"_s);

        // Updates and deletions reach the index.
        appendOne(store.get(), u"note-red"_s, u"NoteWritten"_s,
                  {{u"id"_s, u"red"_s}, {u"title"_s, u"Red bowl"_s}, {u"body"_s, u"no longer a cup of anything"_s}});
        appendOne(store.get(), u"note-cup"_s, u"NoteDeleted"_s, {{u"id"_s, u"cup"_s}});
        QVERIFY(runner->catchUp());
        QCOMPARE(rs->search(u"Notes"_s, u"mug"_s)->size(), 0);
        auto bowl = rs->search(u"Notes"_s, u"bowl"_s);
        QCOMPARE(bowl->size(), 1);
        QCOMPARE(bowl->at(0).key, u"red"_s);
    }

    void pageVersionsAndInvalidations()
    {
        auto store = memoryStore();
        TestDomain domain;
        auto runner = makeRunner(store.get(), &domain);
        QSignalSpy invalidated(runner.get(), &ProjectionRunner::pagesInvalidated);
        ReadStore *rs = runner->readStore();

        const qint64 p1 = appendOne(store.get(), u"post-a"_s, u"Published"_s,
                                    {{u"slug"_s, u"hello"_s}, {u"title"_s, u"Hello"_s}});
        QVERIFY(runner->catchUp());
        auto page = rs->page(u"Site"_s, u"/posts/hello.html"_s);
        QVERIFY(page && *page);
        QCOMPARE((*page)->version, 1);
        QCOMPARE((*page)->html, u"<h1>Hello</h1>"_s);
        QCOMPARE((*page)->title, u"Hello"_s);
        QCOMPARE((*page)->position, p1);
        QVERIFY((*page)->etag.startsWith(u"\"1-"_s));
        const QString etag1 = (*page)->etag;
        QCOMPARE(invalidated.count(), 1);
        QCOMPARE(invalidated.at(0).at(0).toString(), u"Site"_s);
        QCOMPARE(invalidated.at(0).at(1).toStringList(), (QStringList{u"/index.html"_s, u"/posts/hello.html"_s}));
        QCOMPARE(invalidated.at(0).at(2).toLongLong(), p1);

        // The same content again: no new version, no invalidation.
        appendOne(store.get(), u"post-a"_s, u"Published"_s, {{u"slug"_s, u"hello"_s}, {u"title"_s, u"Hello"_s}});
        QVERIFY(runner->catchUp());
        QCOMPARE(rs->page(u"Site"_s, u"/posts/hello.html"_s)->value().version, 1);
        QCOMPARE(invalidated.count(), 1);

        // New content: version and ETag move on; both pages are invalidated.
        const qint64 p3 = appendOne(store.get(), u"post-a"_s, u"Published"_s,
                                    {{u"slug"_s, u"hello"_s}, {u"title"_s, u"Hello, world"_s}});
        appendOne(store.get(), u"post-b"_s, u"Published"_s, {{u"slug"_s, u"two"_s}, {u"title"_s, u"Two"_s}});
        QVERIFY(runner->catchUp());
        page = rs->page(u"Site"_s, u"/posts/hello.html"_s);
        QCOMPARE((*page)->version, 2);
        QCOMPARE((*page)->position, p3);
        QVERIFY((*page)->etag != etag1);
        QCOMPARE(invalidated.count(), 2);
        QCOMPARE(invalidated.at(1).at(1).toStringList(),
                 (QStringList{u"/index.html"_s, u"/posts/hello.html"_s, u"/posts/two.html"_s}));
        auto index = rs->page(u"Site"_s, u"/index.html"_s);
        QCOMPARE((*index)->version, 2); // two changes of the index: hello added, two added
        QCOMPARE((*index)->html, u"<ul><li>hello</li><li>two</li></ul>"_s);

        // Deleting a page: gone for readers, invalidated, and its version keeps counting.
        appendOne(store.get(), u"post-a"_s, u"Unpublished"_s, {{u"slug"_s, u"hello"_s}});
        QVERIFY(runner->catchUp());
        QVERIFY(!rs->page(u"Site"_s, u"/posts/hello.html"_s)->has_value());
        QCOMPARE(invalidated.count(), 3);
        QVERIFY(invalidated.at(2).at(1).toStringList().contains(u"/posts/hello.html"_s));
        ListQuery all;
        auto listed = rs->list(u"Site"_s, all);
        QCOMPARE(listed->rows.size(), 2); // the tombstone is not listed
        appendOne(store.get(), u"post-a"_s, u"Published"_s, {{u"slug"_s, u"hello"_s}, {u"title"_s, u"Back"_s}});
        QVERIFY(runner->catchUp());
        QCOMPARE(rs->page(u"Site"_s, u"/posts/hello.html"_s)->value().version, 4);

        // The notices are durable too, for a purger in another process.
        auto notices = rs->invalidations();
        QVERIFY(notices);
        QCOMPARE(notices->size(), 4);
        QCOMPARE(notices->at(0).paths, invalidated.at(0).at(1).toStringList());
        QVERIFY(notices->at(3).seq > notices->at(0).seq);
        auto later = rs->invalidations(notices->at(2).seq);
        QCOMPARE(later->size(), 1);
        QVERIFY(!rs->page(u"Balances"_s, u"/x"_s)); // not a page projection
    }

    void followsLiveAppendsAcrossConnections()
    {
        {
            auto seed = fileStore(u"live.db"_s);
            appendHistory(seed.get(), 10, 1);
        }
        TestDomain domain;
        ProjectionRunner::Options o;
        o.pollIntervalMs = 20;
        auto runner = ProjectionRunner::open(where(u"live.db"_s), &domain, o);
        QVERIFY2(runner, qPrintable(runner.error().message));
        QSignalSpy statuses(runner->get(), &ProjectionRunner::statusChanged);
        (*runner)->start();
        auto writer = fileStore(u"live.db"_s);
        QTRY_COMPARE_WITH_TIMEOUT((*runner)->status(u"Balances"_s)->position, writer->headPosition(), 5000);
        QVERIFY(!statuses.isEmpty());

        // Another connection appends: the data_version poll (SQLite) or LISTEN (PostgreSQL) notices it.
        QElapsedTimer t;
        t.start();
        const qint64 p = appendOne(writer.get(), u"account-a1"_s, u"Deposited"_s,
                                   {{u"account"_s, u"a1"_s}, {u"amount"_s, 1000}});
        QTRY_COMPARE_WITH_TIMEOUT((*runner)->status(u"Balances"_s)->position, p, 5000);
        QVERIFY(t.elapsed() < 2000);
        QVERIFY(statuses.last().at(0).value<ProjectionStatus>().position >= p - 1);

        // The same store object: its eventsAppended signal wakes the runner directly.
        (*runner)->stop();
        o.pollIntervalMs = 0;
        auto sameStore = ProjectionRunner::create(writer.get(), &domain, o);
        QVERIFY(sameStore);
        (*sameStore)->start();
        const qint64 q = appendOne(writer.get(), u"account-a1"_s, u"Deposited"_s,
                                   {{u"account"_s, u"a1"_s}, {u"amount"_s, 1}});
        QTRY_COMPARE_WITH_TIMEOUT((*sameStore)->status(u"Balances"_s)->position, q, 5000);
        QCOMPARE((*sameStore)->readStore()->byKey(u"Balances"_s, u"a1"_s)->value().value.value(u"balance"_s).toDouble(),
                 11.0 + 1000 + 1);
    }

    void artificialDelayShowsLag()
    {
        auto store = memoryStore();
        TestDomain domain;
        auto runner = makeRunner(store.get(), &domain);
        runner->start();
        QVERIFY(runner->setDelay(u"Balances"_s, 400));
        QCOMPARE(runner->status(u"Balances"_s)->delayMs, 400);
        QElapsedTimer t;
        t.start();
        const qint64 p = appendOne(store.get(), u"account-a1"_s, u"Opened"_s,
                                   {{u"account"_s, u"a1"_s}, {u"owner"_s, u"Ann"_s}});
        QTRY_COMPARE_WITH_TIMEOUT(runner->status(u"Notes"_s)->position, p, 2000); // the others: no delay
        QTest::qWait(150);
        auto lagging = runner->status(u"Balances"_s);
        QCOMPARE(lagging->position, p - 1);
        QCOMPARE(lagging->lagEvents, 1);
        QVERIFY(lagging->lagSeconds > 0.1);
        QTRY_COMPARE_WITH_TIMEOUT(runner->status(u"Balances"_s)->position, p, 3000);
        QVERIFY2(t.elapsed() >= 350, qPrintable(QString::number(t.elapsed())));
        QVERIFY(runner->setDelay(u"Balances"_s, -1));
        QCOMPARE(runner->status(u"Balances"_s)->delayMs, 0);
        // Pause and resume.
        QVERIFY(runner->pause(u"Balances"_s));
        const qint64 p2 = appendOne(store.get(), u"account-a1"_s, u"Deposited"_s,
                                    {{u"account"_s, u"a1"_s}, {u"amount"_s, 3}});
        QTRY_COMPARE_WITH_TIMEOUT(runner->status(u"Notes"_s)->position, p2, 2000);
        QCOMPARE(runner->status(u"Balances"_s)->state, ProjectionState::Paused);
        QCOMPARE(runner->status(u"Balances"_s)->position, p);
        QVERIFY(runner->resume(u"Balances"_s));
        QTRY_COMPARE_WITH_TIMEOUT(runner->status(u"Balances"_s)->position, p2, 2000);
        runner->stop();
    }

    void separateReadStoreFile()
    {
        auto store = fileStore(u"events-only.db"_s);
        appendHistory(store.get(), 10, 1);
        TestDomain domain;
        ProjectionRunner::Options o;
        o.readStorePath = where(u"read-only-models.db"_s);
        {
            auto runner = makeRunner(store.get(), &domain, o);
            QVERIFY(runner->catchUp());
        }
        QSqlQuery q(store->database());
        QVERIFY(q.exec(testingPostgres()
                           ? u"SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND "
                             "(tablename LIKE 'rm%' OR tablename LIKE 'es_proj%')"_s
                           : u"SELECT count(*) FROM sqlite_master WHERE name LIKE 'rm%' OR name LIKE 'es_proj%'"_s));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toInt(), 0);
        q.finish();
        auto rs = ReadStore::open(where(u"read-only-models.db"_s), true);
        QVERIFY(rs);
        QVERIFY((*rs)->byKey(u"Balances"_s, u"a1"_s)->has_value());
        QVERIFY(!(*rs)->begin()); // read-only
        // A read-only event store cannot hold the read model itself.
        auto ro = EventStore::open(where(u"events-only.db"_s), EventStore::Mode::ReadOnly);
        QVERIFY(ro);
        auto refused = ProjectionRunner::create(ro->get(), &domain);
        QVERIFY(!refused);
        QCOMPARE(refused.error().code, ErrorCode::ReadOnly);
    }

    // A runner with its own connection and domain in a worker thread, while
    // this thread appends: one connection per thread, nothing shared.
    void runsInAWorkerThread()
    {
        {
            auto seed = fileStore(u"worker.db"_s);
            appendHistory(seed.get(), 30, 2);
        }
        auto writer = fileStore(u"worker.db"_s);
        const QString workerStore = where(u"worker.db"_s);
        std::atomic<bool> stop{false};
        std::atomic<qint64> reached{0};
        QString failure;
        std::thread worker([&] {
            TestDomain domain;
            auto runner = ProjectionRunner::open(workerStore, &domain, ProjectionRunner::Options());
            if (!runner) {
                failure = runner.error().message;
                return;
            }
            while (!stop) {
                auto applied = (*runner)->catchUp();
                if (!applied) {
                    failure = applied.error().message;
                    return;
                }
                reached = (*runner)->status(u"Balances"_s)->position;
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
        });
        qint64 last = 0;
        for (int i = 0; i < 50; ++i)
            last = appendOne(writer.get(), u"account-a1"_s, u"Deposited"_s, {{u"account"_s, u"a1"_s}, {u"amount"_s, 1}});
        QTRY_COMPARE_WITH_TIMEOUT(reached.load(), last, 10000);
        stop = true;
        worker.join();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        auto rs = ReadStore::open(workerStore, true);
        QVERIFY(rs);
        QCOMPARE((*rs)->byKey(u"Balances"_s, u"a1"_s)->value().value.value(u"balance"_s).toDouble(), 11.0 + 12.0 + 50);
    }

    // --- the shop pack through the CLI (JavaScript handlers) ---

    void cliProjectAndQuery()
    {
        if (!jsProjectionsAvailable())
            QSKIP("JsDomain::projectionKeys/project are not implemented yet: the shop pack has no live handlers");
        const QString store = where(u"shop-cli.db"_s);
        CliRun r = cli({u"generate"_s, store, u"--domain"_s, shopPack(), u"--commands"_s, u"600"_s, u"--quiet"_s});
        QVERIFY2(r.code == 0, r.err.constData());
        r = cli({u"project"_s, store, u"--domain"_s, shopPack(), u"--json"_s});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonArray statuses = QJsonDocument::fromJson(r.out).array();
        QVERIFY2(!statuses.isEmpty(), r.out.constData());
        for (const QJsonValue &s : statuses) {
            QCOMPARE(s[u"state"_s].toString(), u"running"_s);
            QCOMPARE(s[u"lagEvents"_s].toInteger(), 0);
        }
        r = cli({u"project"_s, store, u"--domain"_s, shopPack(), u"--status"_s});
        QVERIFY2(r.code == 0 && r.out.contains("Orders"), r.out.constData());

        // Whatever status the workload left the first order in: filter by it.
        r = cli({u"query"_s, store, u"--domain"_s, shopPack(), u"Orders"_s, u"--limit"_s, u"1"_s, u"--json"_s});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject first = QJsonDocument::fromJson(r.out).object();
        QVERIFY2(!first[u"rows"_s].toArray().isEmpty(), r.out.constData());
        QVERIFY(!first[u"next"_s].toString().isEmpty());
        const QString status = first[u"rows"_s][0][u"value"_s][u"status"_s].toString();
        r = cli({u"query"_s, store, u"--domain"_s, shopPack(), u"Orders"_s, u"--filter"_s, u"status="_s + status,
                 u"--limit"_s, u"5"_s, u"--json"_s});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject page = QJsonDocument::fromJson(r.out).object();
        const QJsonArray rows = page[u"rows"_s].toArray();
        QVERIFY(!rows.isEmpty() && rows.size() <= 5);
        for (const QJsonValue &row : rows)
            QCOMPARE(row[u"value"_s][u"status"_s].toString(), status);
        // The next page follows the cursor.
        r = cli({u"query"_s, store, u"--domain"_s, shopPack(), u"Orders"_s, u"--limit"_s, u"1"_s, u"--after"_s,
                 first[u"next"_s].toString(), u"--json"_s});
        QVERIFY2(r.code == 0, r.err.constData());
        QVERIFY(QJsonDocument::fromJson(r.out).object()[u"rows"_s][0][u"key"_s].toString() >
                first[u"rows"_s][0][u"key"_s].toString());
        const QString key = rows.first()[u"key"_s].toString();
        r = cli({u"query"_s, store, u"--domain"_s, shopPack(), u"Orders"_s, u"--key"_s, key, u"--json"_s});
        QVERIFY2(r.code == 0, r.err.constData());
        QCOMPARE(QJsonDocument::fromJson(r.out).object()[u"key"_s].toString(), key);
        r = cli({u"query"_s, store, u"--domain"_s, shopPack(), u"Orders"_s, u"--key"_s, u"no-such-order"_s});
        QCOMPARE(r.code, 1);
        r = cli({u"query"_s, store, u"--domain"_s, shopPack(), u"ProductSearch"_s, u"--search"_s, u"mug"_s,
                 u"--json"_s});
        QVERIFY2(r.code == 0, r.err.constData());
        r = cli({u"query"_s, store, u"--domain"_s, shopPack(), u"Orders"_s, u"--as-of"_s, u"10"_s, u"--json"_s});
        QVERIFY2(r.code == 0, r.err.constData());
        r = cli({u"query"_s, store, u"--domain"_s, shopPack(), u"Nope"_s});
        QCOMPARE(r.code, 2);
        QVERIFY(r.err.contains("Nope"));

        r = cli({u"project"_s, store, u"--domain"_s, shopPack(), u"--rebuild"_s, u"Orders"_s, u"--json"_s});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject diff = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(diff[u"added"_s].toInteger() + diff[u"removed"_s].toInteger() + diff[u"changed"_s].toInteger(), 0);
    }

    void cliPagesOfThePublishingPack()
    {
        if (!jsProjectionsAvailable())
            QSKIP("JsDomain::projectionKeys/project are not implemented yet");
        const QString pack = sourcePath(u"resources/domains/publishing.js"_s);
        const QString store = where(u"publishing-cli.db"_s);
        CliRun r = cli({u"generate"_s, store, u"--domain"_s, pack, u"--commands"_s, u"300"_s, u"--quiet"_s});
        QVERIFY2(r.code == 0, r.err.constData());
        r = cli({u"project"_s, store, u"--domain"_s, pack});
        QVERIFY2(r.code == 0, r.err.constData());
        r = cli({u"query"_s, store, u"--domain"_s, pack, u"Site"_s, u"--key"_s, u"/index.html"_s, u"--json"_s});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject index = QJsonDocument::fromJson(r.out).object()[u"value"_s].toObject();
        QVERIFY(index[u"html"_s].toString().contains(u"<html"_s));
        QVERIFY(index[u"version"_s].toInteger() >= 1);
        QVERIFY(index[u"etag"_s].toString().startsWith(u'"'));
        auto rs = ReadStore::open(store, true);
        QVERIFY(rs);
        auto notices = (*rs)->invalidations();
        QVERIFY(notices && !notices->isEmpty());
        QVERIFY(notices->constLast().paths.contains(u"/index.html"_s));
    }

    // The CLI killed hard between batches (EVENTSCOPE_TEST_EXIT_AFTER_BATCHES),
    // restarted, compared with a full rebuild.
    void cliKilledBetweenBatches()
    {
        if (!jsProjectionsAvailable())
            QSKIP("JsDomain::projectionKeys/project are not implemented yet: the shop pack has no live handlers");
        const QString store = where(u"shop-kill.db"_s);
        CliRun r = cli({u"generate"_s, store, u"--domain"_s, shopPack(), u"--commands"_s, u"800"_s, u"--quiet"_s});
        QVERIFY2(r.code == 0, r.err.constData());
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"EVENTSCOPE_TEST_EXIT_AFTER_BATCHES"_s, u"5"_s);
        r = cli({u"project"_s, store, u"--domain"_s, shopPack(), u"--batch"_s, u"50"_s}, env);
        QCOMPARE(r.code, 86);
        r = cli({u"project"_s, store, u"--domain"_s, shopPack(), u"--status"_s, u"--json"_s});
        QVERIFY2(r.code == 0, r.err.constData());
        bool behind = false;
        for (const QJsonValue &s : QJsonDocument::fromJson(r.out).array())
            behind |= s[u"lagEvents"_s].toInteger() > 0;
        QVERIFY(behind);
        r = cli({u"project"_s, store, u"--domain"_s, shopPack(), u"--batch"_s, u"50"_s});
        QVERIFY2(r.code == 0, r.err.constData());

        auto domain = JsDomain::load(shopPack());
        QVERIFY(domain);
        auto es = EventStore::open(store, EventStore::Mode::ReadWrite);
        QVERIFY(es);
        auto runner = ProjectionRunner::create(es->get(), domain->get());
        QVERIFY(runner);
        QStringList names = (*runner)->projections();
        const QJsonObject live = dumpAll((*runner)->readStore(), names);
        auto scratch = (*runner)->asOf((*es)->headPosition());
        QVERIFY2(scratch, qPrintable(scratch.error().message));
        QCOMPARE(dumpAll(scratch->get(), names), live);
    }
};

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsSet("ES_PROJECTIONS_CHILD")) {
        QCoreApplication app(argc, argv);
        return runChild();
    }
    QCoreApplication app(argc, argv);
    QLoggingCategory::setFilterRules(u"eventscope.projections.info=false\neventscope.projections.warning=false"_s);
    TestProjections tc;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&tc, argc, argv);
}

#include "tst_projections.moc"
