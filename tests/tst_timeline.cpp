#include "eventsearch.h"
#include "eventstore.h"
#include "session.h"
#include "testsupport.h"
#include "timeline/eventtypepalette.h"
#include "timeline/gototarget.h"
#include "timeline/payloadsummary.h"
#include "timeline/scrollmap.h"
#include "timeline/timelinedelegate.h"
#include "timeline/timelinemodel.h"
#include "timeline/timelineview.h"
#include "timeline/timelinewindow.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QLineEdit>
#include <QProcess>
#include <QRandomGenerator>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace es;

namespace {

// Synthetic history, position i (1-based):
//   stream bulk-(i % 100), version (i - 1) / 100 + 1
//   type Alpha/Beta/Gamma/Delta by i % 4, actor actor-(i % 3), correlation corr-(i / 10)
//   recorded at BaseMs + i seconds; data {"n":i,"word":"needle"|"hay"} (needle when i % 1000 == 0)
constexpr qint64 BaseMs = 1700000000000;
constexpr qint64 Second = 1000;

QString typeOf(qint64 i)
{
    static const QStringList types{u"Alpha"_s, u"Beta"_s, u"Gamma"_s, u"Delta"_s};
    return types.at(int(i % 4));
}

// Builds a store of `count` events in one SQL statement (hashes are not
// valid: nothing here verifies the chain). 200k events take about a second.
// `offset` shifts positions (and times) to build stores with a gap.
bool fillBulk(EventStore &store, qint64 from, qint64 to, QString *error)
{
    QSqlQuery q(store.database());
    const QString sql = uR"(
        WITH RECURSIVE c(i) AS (SELECT %1 UNION ALL SELECT i + 1 FROM c WHERE i < %2)
        INSERT INTO events(position, stream, version, type, event_id, data, metadata, recorded_ms,
                           schema_version, correlation_id, actor, hash)
        SELECT i, 'bulk-' || (i % 100), (i - 1) / 100 + 1,
               CASE i % 4 WHEN 0 THEN 'Alpha' WHEN 1 THEN 'Beta' WHEN 2 THEN 'Gamma' ELSE 'Delta' END,
               '00000000-0000-7000-8000-' || substr('000000000000' || i, -12, 12),
               '{"n":' || i || ',"word":"' || CASE WHEN i % 1000 = 0 THEN 'needle' ELSE 'hay' END || '"}',
               json_object('actor', 'actor-' || (i % 3), 'correlationId', 'corr-' || (i / 10)),
               %3 + i * 1000, 1, 'corr-' || (i / 10), 'actor-' || (i % 3), 'x'
        FROM c)"_s.arg(from)
                            .arg(to)
                            .arg(BaseMs);
    if (!q.exec(u"BEGIN"_s) || !q.exec(sql) || !q.exec(u"COMMIT"_s)) {
        *error = q.lastError().text();
        return false;
    }
    return true;
}

bool makeBulkStore(const QString &path, qint64 count, QString *error)
{
    auto store = EventStore::open(path, EventStore::Mode::Create);
    if (!store) {
        *error = store.error().message;
        return false;
    }
    return fillBulk(**store, 1, count, error);
}

std::unique_ptr<Session> openSession(const QString &path, const QString &pack = {})
{
    Session::Options o;
    o.storePath = path;
    o.packPath = pack;
    o.pollIntervalMs = 50;
    auto s = Session::open(o);
    if (!s) {
        qWarning() << s.error().message;
        return {};
    }
    return std::move(*s);
}

// Appends n events through the session's store (a local append: the session signals it).
void appendEvents(Session &session, const QString &stream, int n, const QString &type = u"Appended"_s)
{
    AppendRequest req;
    req.stream = stream;
    req.streamType = u"Test"_s;
    for (int i = 0; i < n; ++i) {
        NewEvent e;
        e.type = type;
        e.data = QJsonObject{{u"i"_s, i}};
        e.metadata = QJsonObject{{QString(meta::Actor), u"tester"_s}};
        req.events.append(e);
    }
    auto r = session.store()->append(req);
    QVERIFY2(r, qPrintable(r.error().message));
}

QList<qint64> positionsOf(const TimelineModel &model)
{
    QList<qint64> out;
    for (int r = 0; r < model.rowCount(); ++r)
        out << model.positionAt(r);
    return out;
}

} // namespace

class TestTimeline : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_bulk20k;

    QString path(const QString &name) const { return m_dir.filePath(name); }
    // A private copy of the 20k store, for tests that append.
    QString copyOfBulk(const QString &name) const
    {
        const QString p = path(name);
        return QFile::copy(m_bulk20k, p) ? p : QString();
    }

    static bool settle(TimelineModel *model, int timeoutMs = 10000)
    {
        // Loading ends, and stays ended for a moment (edges load in pages).
        QElapsedTimer t;
        t.start();
        int quiet = 0;
        while (t.elapsed() < timeoutMs) {
            QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
            quiet = model->isLoading() ? 0 : quiet + 1;
            if (quiet >= 5)
                return true;
            QTest::qWait(5);
        }
        return false;
    }

    void saveShot(QWidget *w, const QString &name)
    {
        const QString dir = qEnvironmentVariable("ES_SCREENSHOT_DIR");
        if (!dir.isEmpty())
            w->grab().save(dir + u'/' + name);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_bulk20k = path(u"bulk20k.db"_s);
        QString error;
        QVERIFY2(makeBulkStore(m_bulk20k, 20000, &error), qPrintable(error));
    }

    // --- the mapping maths, without a view ----------------------------------

    void scrollMapIsExactBelowTheStepLimit()
    {
        const ScrollMap m(1, 200'000'000); // past QTableView's ~70M rows: still one step per position
        QVERIFY(!m.isScaled());
        QCOMPARE(m.maximum(), 199'999'999);
        QCOMPARE(m.valueFor(1), 0);
        QCOMPARE(m.valueFor(200'000'000), 199'999'999);
        QCOMPARE(m.positionFor(123'456'788), qint64(123'456'789));
        QCOMPARE(m.valueFor(-5), 0); // clamped
        QCOMPARE(m.valueFor(300'000'000), m.maximum());
        QCOMPARE(m.scrollMaximum(40), m.valueFor(200'000'000 - 39));
        QCOMPARE(m.stepsFor(40), 40);
    }

    void scrollMapScalesBeyondIt()
    {
        const qint64 last = 5'000'000'000; // more positions than an int counts
        const ScrollMap m(1, last);
        QVERIFY(m.isScaled());
        QCOMPARE(m.maximum(), int(ScrollMap::MaxSteps));
        QCOMPARE(m.positionFor(0), qint64(1));
        QCOMPARE(m.positionFor(m.maximum()), last);
        QCOMPARE(m.valueFor(last), m.maximum());
        auto *rng = QRandomGenerator::global();
        int previous = -1;
        for (int i = 0; i < 2000; ++i) {
            const int v = int(rng->bounded(quint32(m.maximum())));
            QCOMPARE(m.valueFor(m.positionFor(v)), v); // round trip
            const qint64 p = 1 + qint64(rng->bounded(quint64(last)));
            const int pv = m.valueFor(p);
            QVERIFY(m.positionFor(pv) <= p);
            QVERIFY(pv <= m.maximum());
        }
        for (qint64 p = 1; p < last; p += last / 997) { // monotonic
            const int v = m.valueFor(p);
            QVERIFY(v >= previous);
            previous = v;
        }
        QVERIFY(m.stepsFor(50) >= 1);
    }

    void scrollMapEdgeCases()
    {
        QCOMPARE(ScrollMap(1, 0).maximum(), 0); // empty log
        QCOMPARE(ScrollMap(1, 0).positionFor(7), qint64(1));
        QCOMPARE(ScrollMap(1, 1).valueFor(1), 0);
        QCOMPARE(ScrollMap(1, 10).scrollMaximum(40), 0); // fewer rows than the view
    }

    void windowBookkeeping()
    {
        auto rows = [](qint64 from, qint64 to, qint64 step = 1) {
            EventSummaryList out;
            for (qint64 p = from; p <= to; p += step) {
                EventSummary s;
                s.position = p;
                out << s;
            }
            return out;
        };
        TimelineWindow w(100, 10);
        QVERIFY(w.isEmpty());
        QVERIFY(w.edgesToFetch(-1, -1, 50).after); // nothing covered yet
        // A filtered window: every 10th position, covering [95, 505].
        w.reset(rows(100, 500, 10), 95, 505);
        QCOMPARE(w.size(), 41);
        QCOMPARE(w.rowOf(200), 10);
        QCOMPARE(w.rowOf(201), -1);
        QCOMPARE(w.rowAtOrAfter(201), 11);
        QCOMPARE(w.rowAtOrAfter(9999), w.size());
        QCOMPARE(w.freshBefore(rows(50, 120, 10)).size(), 5); // 50..90: below the covered start
        QCOMPARE(w.freshAfter(rows(480, 560, 10)).size(), 6); // 510..560
        // Edges: only near the visible rows' ends, only where not complete.
        QVERIFY(w.edgesToFetch(2, 20, 1000).before);
        QVERIFY(!w.edgesToFetch(15, 20, 1000).before);
        QVERIFY(w.edgesToFetch(15, 35, 1000).after);
        QVERIFY(!w.edgesToFetch(15, 35, 505).after); // reaches the head
        w.prepend(rows(50, 90, 10), 42);
        QCOMPARE(w.start(), qint64(42));
        QCOMPARE(w.at(0).position, qint64(50));
        w.append(rows(510, 1200, 10), 1201);
        QCOMPARE(w.end(), qint64(1201));
        QCOMPARE(w.size(), 46 + 70);
        // Trim: the far side first, never the visible rows or their margin;
        // not before the window is a tenth over its capacity.
        TimelineWindow small(110, 10);
        small.reset(rows(1, 121), 1, 121); // exactly a tenth over: kept
        QCOMPARE(small.trimFor(-1, -1, true).top, 0);
        small.reset(rows(1, 122), 1, 122);
        QCOMPARE(small.trimFor(-1, -1, true).top, 12); // back to the capacity
        TimelineWindow::Trim t = w.trimFor(100, 110, true);
        QCOMPARE(t.top, 16);
        QCOMPARE(t.bottom, 0);
        t = w.trimFor(5, 15, true); // the view is at the top: the bottom goes
        QCOMPARE(t.top, 0);
        QCOMPARE(t.bottom, 16);
        t = w.trimFor(-1, -1, false);
        QCOMPARE(t.bottom, 16);
        w.removeTop(16);
        QCOMPARE(w.start(), qint64(201)); // just after the last row removed
        QCOMPARE(w.at(0).position, qint64(210));
        w.removeBottom(10);
        QCOMPARE(w.end(), qint64(1109)); // just before the first row removed
        QCOMPARE(w.at(w.size() - 1).position, qint64(1100));
    }

    void presentationHelpers()
    {
        QCOMPARE(PayloadSummary::of(u"{\"amount\":12,\"note\":\"rent \\\"May\\\"\"}"_s, false),
                 u"amount: 12, note: rent \"May\""_s);
        QCOMPARE(PayloadSummary::of(u"{\"a\":{\"b\":[1,2]}}"_s, false), u"a: {b: [1, 2]}"_s);
        QVERIFY(PayloadSummary::of(u"{\"text\":\"abc"_s, true).endsWith(u'…'));
        QCOMPARE(PayloadSummary::of(u"{\"x\":\"0123456789\"}"_s, false, 6), u"x: 012…"_s);

        QCOMPARE(EventTypePalette::hueOf(u"MoneyDeposited"_s), EventTypePalette::hueOf(u"MoneyDeposited"_s));
        QVERIFY(EventTypePalette::hueOf(u"MoneyDeposited"_s) != EventTypePalette::hueOf(u"MoneyWithdrawn"_s));
        QCOMPARE(EventTypePalette::hashOf(u"a"_s), 0xe40c292cu); // FNV-1a: stable across runs

        GotoTarget t = GotoTarget::parse(u" #1,234,567 "_s);
        QCOMPARE(t.kind, GotoTarget::Position);
        QCOMPARE(t.position, qint64(1234567));
        t = GotoTarget::parse(u"2023-11-14 22:13:20"_s);
        QCOMPARE(t.kind, GotoTarget::Time);
        QCOMPARE(t.timeMs, BaseMs); // UTC when no offset is given
        QCOMPARE(GotoTarget::parse(u"2023-11-14T23:13:20.000+01:00"_s).timeMs, BaseMs);
        QCOMPARE(GotoTarget::parse(u"2023-11-14"_s).kind, GotoTarget::Time);
        QCOMPARE(GotoTarget::parse(u"yesterday"_s).kind, GotoTarget::Invalid);
        QCOMPARE(GotoTarget::parse(QString()).kind, GotoTarget::Invalid);
    }

    // --- the engine side: index and filtered pages ---------------------------

    void schemaHasTheSearchIndex()
    {
        auto store = EventStore::open(m_bulk20k, EventStore::Mode::ReadWrite);
        QVERIFY(store);
        QSqlQuery q((*store)->database());
        QVERIFY(q.exec(u"SELECT count(*) FROM sqlite_master WHERE name = 'events_fts'"_s) && q.next());
        QCOMPARE(q.value(0).toInt(), 1);
        QCOMPARE(EventSearch::checkpoint(**store), qint64(0));
        QCOMPARE(EventSearch::matchExpression(u"acc-1 \"Ann\" x*"_s), u"\"acc-1\"* \"ann\"* \"x\"*"_s);
        QVERIFY(EventSearch::terms(u" ** \"\" "_s).isEmpty());
        const auto types = EventSearch::eventTypes(**store);
        QVERIFY(types);
        QCOMPARE(*types, (QStringList{u"Alpha"_s, u"Beta"_s, u"Delta"_s, u"Gamma"_s}));
        QCOMPARE(EventSearch::firstPositionAtOrAfter(**store, BaseMs + 1500 * Second - 1), qint64(1500));
        QCOMPARE(EventSearch::lastPositionAtOrBefore(**store, BaseMs + 1500 * Second - 1), qint64(1499));
        QCOMPARE(EventSearch::firstPositionAtOrAfter(**store, BaseMs + 99999999), qint64(0));
    }

    void textSearchBeforeAndAfterIndexing()
    {
        const QString p = path(u"search.db"_s);
        QString error;
        QVERIFY2(makeBulkStore(p, 5000, &error), qPrintable(error));
        auto store = EventStore::open(p, EventStore::Mode::ReadWrite);
        QVERIFY(store);
        SummaryQuery q;
        q.filter.text = u"needle"_s;
        q.limit = 100;
        auto unindexed = EventSearch::summaries(**store, q); // all by substring
        QVERIFY(unindexed);
        QCOMPARE(unindexed->size(), 5);
        // Index part of the log: pages mix the index (below) and the tail (above).
        auto step = EventSearch::indexNext(**store, 2500);
        QVERIFY2(step, qPrintable(step.error().message));
        QCOMPARE(step->indexed, qint64(2500));
        QCOMPARE(EventSearch::checkpoint(**store), qint64(2500));
        auto mixed = EventSearch::summaries(**store, q);
        QVERIFY(mixed);
        QCOMPARE(positionsOf2(*mixed), (QList<qint64>{1000, 2000, 3000, 4000, 5000}));
        q.backward = true;
        q.limit = 3;
        auto back = EventSearch::summaries(**store, q);
        QVERIFY(back);
        QCOMPARE(positionsOf2(*back), (QList<qint64>{5000, 4000, 3000}));
        q.backward = false;
        q.limit = 100;
        while (EventSearch::checkpoint(**store) < 5000)
            QVERIFY(EventSearch::indexNext(**store, 1000));
        q.filter.types = {u"Alpha"_s};
        QCOMPARE(EventSearch::summaries(**store, q)->size(), 5);
        q.filter.types = {u"Beta"_s, u"Gamma"_s};
        QCOMPARE(EventSearch::summaries(**store, q)->size(), 0);
        q.filter.types.clear();
        q.filter.text = u"need"_s; // a prefix
        QCOMPARE(EventSearch::summaries(**store, q)->size(), 5);
        q.filter.text = u"needle hay"_s; // every term
        QCOMPARE(EventSearch::summaries(**store, q)->size(), 0);
        // A cancelled query stops with Cancelled.
        q.filter.text.clear();
        q.filter.actor = u"nobody"_s;
        auto cancelled = EventSearch::summaries(**store, q, [] { return true; });
        QVERIFY(!cancelled);
        QCOMPARE(cancelled.error().code, ErrorCode::Cancelled);
    }

    void indexerCatchesUpInTheBackground()
    {
        const QString p = path(u"indexer.db"_s);
        QString error;
        QVERIFY2(makeBulkStore(p, 30000, &error), qPrintable(error));
        EventSearch indexer;
        QSignalSpy progress(&indexer, &EventSearch::progress);
        indexer.start(p);
        QTRY_COMPARE_WITH_TIMEOUT(indexer.indexedPosition(), qint64(30000), 30000);
        QVERIFY(progress.count() >= 1);
        // New events are indexed when the indexer is woken.
        {
            auto session = openSession(p);
            QVERIFY(session);
            appendEvents(*session, u"late"_s, 3, u"Late"_s);
        }
        indexer.wake();
        QTRY_COMPARE_WITH_TIMEOUT(indexer.indexedPosition(), qint64(30003), 10000);
        indexer.stop();
        QVERIFY(!indexer.isRunning());
        auto store = EventStore::open(p, EventStore::Mode::ReadOnly);
        QVERIFY(store);
        QCOMPARE(EventSearch::checkpoint(**store), qint64(30003));
    }

    // --- the model ------------------------------------------------------------

    void modelPassesTheTester()
    {
        auto session = openSession(copyOfBulk(u"tester.db"_s));
        QVERIFY(session);
        TimelineModel model;
        model.setWindowCapacity(1500, 200);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy anchored(&model, &TimelineModel::anchored);
        model.setSession(session.get());
        QVERIFY(settle(&model));
        QCOMPARE(anchored.count(), 1);
        QCOMPARE(model.head(), qint64(20000));
        QCOMPARE(model.positionAt(model.rowCount() - 1), qint64(20000)); // opens at the newest
        QCOMPARE(model.columnCount(), int(TimelineModel::ColumnCount));
        QCOMPARE(model.index(0, TimelineModel::TypeColumn).data().toString(), typeOf(model.positionAt(0)));
        QCOMPARE(model.index(0, TimelineModel::PayloadColumn).data().toString(),
                 u"n: %1, word: hay"_s.arg(model.positionAt(0)));
        // Scrolling up loads pages above and trims below, within the capacity.
        for (int i = 0; i < 8; ++i) {
            model.setVisibleRows(5, 40);
            QVERIFY(settle(&model));
            QVERIFY(model.rowCount() <= 1500 + 150); // trimmed once a tenth over
        }
        const QList<qint64> positions = positionsOf(model);
        for (int i = 1; i < positions.size(); ++i)
            QCOMPARE(positions.at(i), positions.at(i - 1) + 1); // contiguous, ordered
        QVERIFY(positions.constFirst() < 20000 - 1500);
        // A jump, a filter, an append, another jump.
        model.anchorAt(777, TimelineModel::Reason::Reveal);
        QVERIFY(settle(&model));
        QCOMPARE(anchored.count(), 2);
        QCOMPARE(model.positionAt(anchored.last().at(0).toInt()), qint64(777));
        SearchFilter f;
        f.types = {u"Beta"_s};
        model.setFilter(f, 777);
        QVERIFY(settle(&model));
        QCOMPARE(model.positionAt(anchored.last().at(0).toInt()), qint64(777)); // 777 % 4 == 1: a Beta
        model.setVisibleRows(model.rowCount() - 5, model.rowCount() - 1);
        QVERIFY(settle(&model));
        appendEvents(*session, u"x"_s, 5, u"Beta"_s);
        QVERIFY(settle(&model));
        model.setFilter({}, 0);
        QVERIFY(settle(&model));
        QCOMPARE(model.positionAt(model.rowCount() - 1), qint64(20005));
        model.setSession(nullptr);
        QCOMPARE(model.rowCount(), 0);
    }

    void liveAppendsAreIncremental()
    {
        const QString p = path(u"live.db"_s);
        Session::Options o;
        o.storePath = p;
        o.packPath = bankPack();
        o.create = true;
        auto session = Session::open(o);
        QVERIFY2(session, qPrintable(session.error().message));
        TimelineModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSession(session->get());
        QVERIFY(settle(&model));
        QCOMPARE(model.rowCount(), 0);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        Command c;
        c.type = u"OpenAccount"_s;
        c.stream = u"acc-1"_s;
        c.payload = {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}};
        QVERIFY((*session)->execute(c).accepted());
        for (int i = 0; i < 5; ++i) {
            Command d;
            d.type = u"Deposit"_s;
            d.stream = u"acc-1"_s;
            d.payload = {{u"amount"_s, 10 + i}};
            QVERIFY((*session)->execute(d).accepted());
        }
        QTRY_COMPARE(model.rowCount(), 6);
        QCOMPARE(resets.count(), 0);
        QCOMPARE(inserted.count(), 6);
        QCOMPARE(model.index(5, TimelineModel::TypeColumn).data().toString(), u"MoneyDeposited"_s);
        QCOMPARE(model.index(0, TimelineModel::ActorColumn).data().toString(), QString());
        // Filtered: appends go through the loader, still as inserted rows.
        SearchFilter f;
        f.types = {u"MoneyDeposited"_s};
        model.setFilter(f, 0);
        QVERIFY(settle(&model));
        QCOMPARE(model.rowCount(), 5);
        resets.clear();
        inserted.clear();
        Command d;
        d.type = u"Deposit"_s;
        d.stream = u"acc-1"_s;
        d.payload = {{u"amount"_s, 99}};
        QVERIFY((*session)->execute(d).accepted());
        QTRY_COMPARE(model.rowCount(), 6);
        QCOMPARE(resets.count(), 0);
        QCOMPARE(inserted.count(), 1);
    }

    void filtersNarrowRows_data()
    {
        QTest::addColumn<SearchFilter>("filter");
        QTest::addColumn<int>("expectedRows"); // -1: more than a window; rows are checked one by one
        QTest::addColumn<bool>("indexed");

        SearchFilter f;
        f.types = {u"Alpha"_s, u"Gamma"_s};
        QTest::newRow("types") << f << -1 << false;
        f = {};
        f.stream = u"bulk-7"_s;
        QTest::newRow("stream") << f << 200 << false;
        f = {};
        f.actor = u"actor-1"_s;
        QTest::newRow("actor") << f << -1 << false;
        f = {};
        f.correlationId = u"corr-123"_s;
        QTest::newRow("correlation") << f << 10 << false;
        f = {};
        f.fromMs = BaseMs + 5000 * Second;
        f.toMs = BaseMs + 5099 * Second;
        QTest::newRow("time range") << f << 100 << false;
        f = {};
        f.text = u"needle"_s;
        QTest::newRow("text, by substring") << f << 20 << false;
        QTest::newRow("text, by index") << f << 20 << true;
        f.types = {u"Alpha"_s};
        QTest::newRow("text and type") << f << 20 << true;
        f.types = {u"Beta"_s};
        QTest::newRow("text and another type") << f << 0 << true;
        f = {};
        f.stream = u"bulk-8"_s;
        f.actor = u"actor-2"_s;
        f.types = {u"Alpha"_s};
        QTest::newRow("stream, actor and type") << f << 67 << false; // 8 + 100k, k % 3 == 0
    }

    void filtersNarrowRows()
    {
        QFETCH(SearchFilter, filter);
        QFETCH(int, expectedRows);
        QFETCH(bool, indexed);
        const QString p = path(indexed ? u"filters-indexed.db"_s : u"filters.db"_s);
        if (!QFile::exists(p)) {
            QVERIFY(QFile::copy(m_bulk20k, p));
            if (indexed) {
                auto store = EventStore::open(p, EventStore::Mode::ReadWrite);
                QVERIFY(store);
                while (EventSearch::checkpoint(**store) < 20000)
                    QVERIFY(EventSearch::indexNext(**store, 5000));
            }
        }
        auto session = openSession(p);
        QVERIFY(session);
        TimelineModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSession(session.get());
        QVERIFY(settle(&model));
        QCOMPARE(model.rowCount(), TimelineModel::AnchorRowsBefore + TimelineModel::AnchorRowsAfter);
        model.setFilter(filter, 0);
        QVERIFY(settle(&model));
        if (expectedRows >= 0) {
            // A whole result is loaded by scrolling to its start.
            for (int i = 0; i < 5 && !model.window().reachesStart(); ++i) {
                model.setVisibleRows(0, 10);
                QVERIFY(settle(&model));
            }
            QCOMPARE(model.rowCount(), expectedRows);
        } else {
            QVERIFY(model.rowCount() > 100);
        }
        for (int r = 0; r < model.rowCount(); ++r) {
            const EventSummary *e = model.summaryAt(r);
            const qint64 i = e->position;
            if (r > 0)
                QVERIFY(model.positionAt(r - 1) < i);
            if (!filter.types.isEmpty())
                QVERIFY2(filter.types.contains(e->type), qPrintable(e->type));
            if (!filter.stream.isEmpty())
                QCOMPARE(e->stream, filter.stream);
            if (!filter.actor.isEmpty())
                QCOMPARE(e->actor, filter.actor);
            if (!filter.correlationId.isEmpty())
                QCOMPARE(e->correlationId, filter.correlationId);
            if (filter.fromMs >= 0)
                QVERIFY(e->recordedMs >= filter.fromMs && e->recordedMs <= filter.toMs);
            if (!filter.text.isEmpty())
                QCOMPARE(i % 1000, qint64(0));
        }
        // A text search counts its hits over the whole log, not the window.
        if (!filter.text.isEmpty()) {
            QTRY_VERIFY(model.hitCount() >= 0);
            QCOMPARE(model.hitCount(), qint64(expectedRows));
            QVERIFY(!model.hitCountCapped());
        } else {
            QCOMPARE(model.hitCount(), qint64(-1));
        }
    }

    // The payload column marks where the search terms start words.
    void searchHitsAreMarked()
    {
        const QString text = u"amount: 250, note: needle in haystack, ineedle"_s;
        const auto hits = TimelineDelegate::matches(text, EventSearch::terms(u"Need HAY"_s));
        QCOMPARE(hits, (QList<QPair<int, int>>{{19, 4}, {29, 3}}));
        QVERIFY(TimelineDelegate::matches(text, EventSearch::terms(u"eedle"_s)).isEmpty());
    }

    // --- the view -------------------------------------------------------------

    void goToPositionLandsOnTheRow()
    {
        const QString p = path(u"bulk200k.db"_s);
        QString error;
        QVERIFY2(makeBulkStore(p, 200000, &error), qPrintable(error));
        auto session = openSession(p);
        QVERIFY(session);
        TimelineView view;
        view.setIndexingEnabled(false);
        view.resize(1100, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QSignalSpy selected(&view, &TimelineView::eventSelected);
        view.setSession(session.get());
        TimelineModel *model = view.timelineModel();
        QVERIFY(settle(model));
        QVERIFY(view.positionScrollBar()->maximum() > 199000);
        for (qint64 target : {qint64(123457), qint64(1), qint64(200000), qint64(99999), qint64(99990)}) {
            view.revealPosition(target);
            QVERIFY(settle(model));
            QCOMPARE(view.currentPosition(), target);
            const QModelIndex current = view.tableView()->currentIndex();
            QCOMPARE(current.data(TimelineModel::PositionRole).toLongLong(), target);
            const QRect rect = view.tableView()->visualRect(current);
            QVERIFY(view.tableView()->viewport()->rect().contains(rect.center()));
            QCOMPARE(selected.last().at(0).value<RecordedEvent>().position, target);
            QVERIFY(model->rowCount() <= model->window().capacity() * 11 / 10);
            QCOMPARE(view.positionScrollBar()->value(), ScrollMap(1, 200000).valueFor(view.topPosition()));
        }
        QVERIFY(!view.followLive()); // revealing history stops following
        // Go to time: the first event at or after it.
        auto *gotoEdit = view.findChild<QLineEdit *>(u"gotoEdit"_s);
        QVERIFY(gotoEdit);
        gotoEdit->setText(QDateTime::fromMSecsSinceEpoch(BaseMs + 150000 * Second - 500, Qt::UTC)
                              .toString(u"yyyy-MM-dd HH:mm:ss.zzz"_s));
        QTest::keyClick(gotoEdit, Qt::Key_Return);
        QVERIFY(settle(model));
        QCOMPARE(view.currentPosition(), qint64(150000));
        gotoEdit->setText(u"#54,321"_s);
        QTest::keyClick(gotoEdit, Qt::Key_Return);
        QVERIFY(settle(model));
        QCOMPARE(view.currentPosition(), qint64(54321));
        // Dragging the position scrollbar re-anchors the window far away.
        QScrollBar *bar = view.positionScrollBar();
        bar->setSliderDown(true);
        bar->setValue(bar->maximum() / 4);
        bar->setSliderDown(false);
        QVERIFY(settle(model));
        QVERIFY(qAbs(view.topPosition() - 50000) < 10);
        saveShot(&view, u"timeline-200k.png"_s);
    }

    void followsAnotherProcess()
    {
        const QString p = path(u"cli.db"_s);
        Session::Options o;
        o.storePath = p;
        o.packPath = bankPack();
        o.create = true;
        o.pollIntervalMs = 50;
        auto opened = Session::open(o);
        QVERIFY2(opened, qPrintable(opened.error().message));
        Session *session = opened->get();
        Command c;
        c.type = u"OpenAccount"_s;
        c.stream = u"acc-9"_s;
        c.payload = {{u"owner"_s, u"Bea"_s}, {u"currency"_s, u"EUR"_s}};
        QVERIFY(session->execute(c).accepted());
        TimelineView view;
        view.resize(1000, 400);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setSession(session);
        view.setFollowLive(true);
        QVERIFY(settle(view.timelineModel()));
        QCOMPARE(view.model()->rowCount(), 1);
        QSignalSpy resets(view.model(), &QAbstractItemModel::modelReset);
        for (int i = 0; i < 3; ++i) {
            QProcess cli;
            cli.start(cliPath(), {u"exec"_s, p, u"--domain"_s, bankPack(), u"--stream"_s, u"acc-9"_s, u"Deposit"_s,
                                  u"{\"amount\":1}"_s});
            QVERIFY(cli.waitForFinished(30000));
            QCOMPARE(cli.exitCode(), 0);
        }
        QTRY_COMPARE_WITH_TIMEOUT(view.model()->rowCount(), 4, 5000);
        QCOMPARE(resets.count(), 0);
        QTableView *table = view.tableView();
        QCOMPARE(table->rowAt(table->viewport()->height() - 1) < 0 ? view.model()->rowCount() - 1
                                                                   : table->rowAt(table->viewport()->height() - 1),
                 3);
        QCOMPARE(view.model()->index(3, TimelineModel::ActorColumn).data().toString(),
                 qEnvironmentVariable("USER", u"cli"_s));
        saveShot(&view, u"timeline-live.png"_s);
    }

    void selectionAndScrollStayWhenFollowIsOff()
    {
        auto session = openSession(copyOfBulk(u"stay.db"_s));
        QVERIFY(session);
        TimelineView view;
        view.setIndexingEnabled(false);
        view.timelineModel()->setWindowCapacity(1200, 100);
        view.resize(1000, 500);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setSession(session.get());
        TimelineModel *model = view.timelineModel();
        QVERIFY(settle(model));
        view.setFollowLive(false);
        view.revealPosition(19950);
        QVERIFY(settle(model));
        const qint64 top = view.topPosition();
        QCOMPARE(view.currentPosition(), qint64(19950));
        QSignalSpy selected(&view, &TimelineView::eventSelected);
        QSignalSpy resets(model, &QAbstractItemModel::modelReset);
        for (int i = 0; i < 30; ++i) // 3000 events: the window trims its top
            appendEvents(*session, u"more"_s, 100);
        QVERIFY(settle(model));
        QCOMPARE(resets.count(), 0);
        QCOMPARE(selected.count(), 0);
        QCOMPARE(view.currentPosition(), qint64(19950));
        QCOMPARE(view.tableView()->currentIndex().data(TimelineModel::PositionRole).toLongLong(), qint64(19950));
        QCOMPARE(view.topPosition(), top);
        QVERIFY(model->rowCount() <= 1200 + 120);
        QCOMPARE(model->head(), qint64(23000));
        // Following again scrolls to the newest.
        view.setFollowLive(true);
        QVERIFY(settle(model));
        appendEvents(*session, u"more"_s, 10);
        QVERIFY(settle(model));
        QTableView *table = view.tableView();
        const int lastRow = table->rowAt(table->viewport()->height() - 1);
        QCOMPARE(model->positionAt(lastRow < 0 ? model->rowCount() - 1 : lastRow), qint64(23010));
    }

    void selectionAndActivation()
    {
        auto session = openSession(m_bulk20k);
        QVERIFY(session);
        TimelineView view;
        view.setIndexingEnabled(false);
        view.resize(1000, 500);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setSession(session.get());
        QVERIFY(settle(view.timelineModel()));
        QSignalSpy selected(&view, &TimelineView::eventSelected);
        QSignalSpy activated(&view, &TimelineView::eventActivated);
        QTableView *table = view.tableView();
        const QModelIndex index = view.model()->index(view.model()->rowCount() - 3, TimelineModel::TypeColumn);
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(index).center());
        QCOMPARE(selected.count(), 1);
        const RecordedEvent e = selected.at(0).at(0).value<RecordedEvent>();
        QCOMPARE(e.position, qint64(19998));
        QCOMPARE(e.type, typeOf(19998));
        QCOMPARE(e.metadataObject().value(meta::Actor).toString(), u"actor-0"_s);
        QVERIFY(!e.hash.isEmpty());
        QTest::keyClick(table, Qt::Key_Return);
        QCOMPARE(activated.count(), 1);
        QCOMPARE(activated.at(0).at(0).value<RecordedEvent>().position, qint64(19998));
        QTest::mouseDClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(index).center());
        QCOMPARE(activated.count(), 2);
        QTest::keyClick(table, Qt::Key_Up);
        QCOMPARE(selected.last().at(0).value<RecordedEvent>().position, qint64(19997));
    }

    void shortcutsAndObjectNames()
    {
        auto session = openSession(m_bulk20k);
        QVERIFY(session);
        TimelineView view;
        view.setIndexingEnabled(false);
        view.resize(1000, 500);
        view.show();
        view.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&view));
        view.setSession(session.get());
        QVERIFY(settle(view.timelineModel()));
        for (const QString &name : {u"streamFilter"_s, u"typeFilter"_s, u"actorFilter"_s, u"correlationFilter"_s,
                                    u"fromTimeFilter"_s, u"toTimeFilter"_s, u"searchFilter"_s, u"gotoEdit"_s})
            QVERIFY2(view.findChild<QLineEdit *>(name), qPrintable(name));
        auto *follow = view.findChild<QCheckBox *>(u"followLive"_s);
        QVERIFY(follow);
        view.tableView()->setFocus();
        QVERIFY(view.followLive());
        QTest::keyClick(view.tableView(), Qt::Key_L, Qt::ControlModifier);
        QVERIFY(!view.followLive());
        QVERIFY(!follow->isChecked());
        QTest::keyClick(view.tableView(), Qt::Key_L, Qt::ControlModifier);
        QVERIFY(view.followLive());
        QTest::keyClick(view.tableView(), Qt::Key_G, Qt::ControlModifier);
        QTRY_VERIFY(view.findChild<QLineEdit *>(u"gotoEdit"_s)->hasFocus());
        QTest::keyClick(view.tableView(), Qt::Key_F, Qt::ControlModifier);
        QTRY_VERIFY(view.findChild<QLineEdit *>(u"searchFilter"_s)->hasFocus());
        // Typing in the search field filters (after a pause, or at Return).
        QTest::keyClicks(view.findChild<QLineEdit *>(u"searchFilter"_s), u"needle"_s);
        QTest::keyClick(view.findChild<QLineEdit *>(u"searchFilter"_s), Qt::Key_Return);
        QCOMPARE(view.filter().text, u"needle"_s);
        QVERIFY(settle(view.timelineModel()));
        QCOMPARE(view.model()->index(view.model()->rowCount() - 1, 0).data(TimelineModel::PositionRole).toLongLong(),
                 qint64(20000));
        view.setStreamFilter(u"bulk-0"_s);
        view.setCorrelationFilter(u"corr-2000"_s);
        QVERIFY(settle(view.timelineModel()));
        QCOMPARE(view.model()->rowCount(), 1);
        view.clearFilters();
        QVERIFY(view.filter().isEmpty());
        QVERIFY(settle(view.timelineModel()));
        QVERIFY(view.model()->rowCount() > 100);
    }

    void switchingStores()
    {
        auto a = openSession(m_bulk20k);
        const QString p = path(u"small.db"_s);
        QString error;
        QVERIFY2(makeBulkStore(p, 30, &error), qPrintable(error));
        auto b = openSession(p);
        QVERIFY(a && b);
        TimelineView view;
        view.setIndexingEnabled(false);
        view.resize(900, 400);
        view.show();
        view.setSession(a.get());
        QVERIFY(settle(view.timelineModel()));
        view.setStreamFilter(u"bulk-1"_s);
        QVERIFY(settle(view.timelineModel()));
        view.setSession(b.get());
        QVERIFY(view.filter().isEmpty());
        QVERIFY(settle(view.timelineModel()));
        QCOMPARE(view.model()->rowCount(), 30);
        view.setSession(nullptr);
        QCOMPARE(view.model()->rowCount(), 0);
        view.setSession(a.get());
        QVERIFY(settle(view.timelineModel()));
        a.reset(); // the session goes away under the view
        QCOMPARE(view.model()->rowCount(), 0);
        QVERIFY(!view.session());
    }

    void inMemoryStore()
    {
        Session::Options o;
        o.storePath = u":memory:"_s;
        o.packPath = bankPack();
        auto opened = Session::open(o);
        QVERIFY2(opened, qPrintable(opened.error().message));
        TimelineView view;
        view.setSession(opened->get());
        QVERIFY(settle(view.timelineModel()));
        Command c;
        c.type = u"OpenAccount"_s;
        c.stream = u"m-1"_s;
        c.payload = {{u"owner"_s, u"Mem"_s}, {u"currency"_s, u"GBP"_s}};
        QVERIFY((*opened)->execute(c).accepted());
        QTRY_COMPARE(view.model()->rowCount(), 1);
        SearchFilter f;
        f.text = u"mem"_s;
        view.setFilter(f);
        QVERIFY(settle(view.timelineModel()));
        QCOMPARE(view.model()->rowCount(), 1);
    }

    // An auditor's read-only store is never written, not even by the index:
    // search then matches by substring.
    void readOnlyStoreIsNotIndexed()
    {
        Session::Options o;
        o.storePath = m_bulk20k;
        o.readOnly = true;
        auto opened = Session::open(o);
        QVERIFY2(opened, qPrintable(opened.error().message));
        TimelineView view;
        view.setSession(opened->get());
        QVERIFY(settle(view.timelineModel()));
        QVERIFY(!view.searchIndexer()->isRunning());
        SearchFilter f;
        f.text = u"needle"_s;
        view.setFilter(f);
        QVERIFY(settle(view.timelineModel()));
        QCOMPARE(view.model()->rowCount(), 20);
        auto store = EventStore::open(m_bulk20k, EventStore::Mode::ReadOnly);
        QCOMPARE(EventSearch::checkpoint(**store), qint64(0));
    }

    // Positions near 200M: QTableView would have to lay out 200M rows; the
    // timeline gives it a window, and the position scrollbar still spans all.
    void headBeyondQTableViewLimits()
    {
        const QString p = path(u"far.db"_s);
        {
            auto store = EventStore::open(p, EventStore::Mode::Create);
            QVERIFY(store);
            QString error;
            QVERIFY2(fillBulk(**store, 1, 500, &error), qPrintable(error));
            QVERIFY2(fillBulk(**store, 199'999'501, 200'000'000, &error), qPrintable(error));
        }
        auto session = openSession(p);
        QVERIFY(session);
        TimelineView view;
        view.setIndexingEnabled(false);
        view.resize(1000, 500);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setSession(session.get());
        QVERIFY(settle(view.timelineModel()));
        QCOMPARE(view.timelineModel()->head(), qint64(200'000'000));
        QVERIFY(view.positionScrollBar()->maximum() > 199'999'000);
        view.revealPosition(199'999'700);
        QVERIFY(settle(view.timelineModel()));
        QCOMPARE(view.currentPosition(), qint64(199'999'700));
        view.revealPosition(100'000'000); // nothing there: the next event
        QVERIFY(settle(view.timelineModel()));
        QCOMPARE(view.currentPosition(), qint64(199'999'501));
        view.revealPosition(400);
        QVERIFY(settle(view.timelineModel()));
        QCOMPARE(view.currentPosition(), qint64(400));
        const QImage shot = view.grab().toImage();
        QVERIFY(!shot.isNull());
        saveShot(&view, u"timeline-200m.png"_s);
    }

private:
    static QList<qint64> positionsOf2(const EventSummaryList &rows)
    {
        QList<qint64> out;
        for (const EventSummary &e : rows)
            out << e.position;
        return out;
    }
};

QTEST_MAIN(TestTimeline)
#include "tst_timeline.moc"
