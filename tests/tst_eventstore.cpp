#include "eventio.h"
#include "eventstore.h"
#include "storeaddress.h"
#include "storesupport.h"
#include "testsupport.h"

#include <QBuffer>
#include <QFile>
#include <QSignalSpy>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace es;

namespace {

NewEvent ev(const QString &type, const QJsonObject &data, const QString &id = {})
{
    NewEvent e;
    e.type = type;
    e.data = data;
    e.eventId = id;
    e.metadata = QJsonObject{{u"actor"_s, u"tester"_s}, {u"correlationId"_s, u"corr-1"_s}};
    return e;
}

AppendRequest req(const QString &stream, QList<NewEvent> events, ExpectedVersion expected = ExpectedVersion::any())
{
    AppendRequest r;
    r.stream = stream;
    r.streamType = u"Thing"_s;
    r.events = std::move(events);
    r.expected = expected;
    return r;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return f.readAll();
}

} // namespace

class TestEventStore : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    TestStores m_stores;
    QString path(const QString &name) const { return m_dir.filePath(name); }
    // A new store on the backend under test; null (and the test fails) when it cannot be made.
    std::unique_ptr<EventStore> create(const QString &name)
    {
        const QString where = m_stores.location(name);
        if (where.isEmpty()) {
            QTest::qFail(qPrintable(m_stores.error()), __FILE__, __LINE__);
            return {};
        }
        m_lastLocation = where;
        auto s = EventStore::open(where, EventStore::Mode::Create);
        if (!s) {
            QTest::qFail(qPrintable(u"cannot create store: "_s + s.error().message), __FILE__, __LINE__);
            return {};
        }
        return std::move(*s);
    }
    QString m_lastLocation;

private Q_SLOTS:
    void appendAssignsPositionsVersionsAndHashes()
    {
        auto store = create(u"basic.db"_s);
        if (!store)
            return;
        QSignalSpy published(store.get(), &EventStore::eventsAppended);
        auto r = store->append(req(u"a-1"_s, {ev(u"Created"_s, {{u"n"_s, 1}}), ev(u"Changed"_s, {{u"n"_s, 2}})},
                                   ExpectedVersion::noStream()));
        QVERIFY2(r, qPrintable(r.error().message));
        QCOMPARE(r->events.size(), 2);
        QCOMPARE(r->events[0].position, 1);
        QCOMPARE(r->events[1].position, 2);
        QCOMPARE(r->events[1].version, 2);
        QCOMPARE(r->streamVersion, 2);
        QCOMPARE(r->events[0].hash.size(), 64);
        QCOMPARE(r->events[1].hash, EventStore::computeHash(r->events[0].hash, r->events[1]));
        QCOMPARE(published.count(), 1);

        auto r2 = store->append(req(u"b-1"_s, {ev(u"Created"_s, {{u"n"_s, 3}})}));
        QVERIFY(r2);
        QCOMPARE(r2->events[0].position, 3);
        QCOMPARE(r2->events[0].version, 1);
        QCOMPARE(store->headPosition(), 3);

        auto stream = store->readStream(u"a-1"_s);
        QVERIFY(stream);
        QCOMPARE(stream->size(), 2);
        QCOMPARE(stream->at(1).dataObject().value(u"n"_s).toInt(), 2);
        QCOMPARE(stream->at(0).metadataObject().value(u"actor"_s).toString(), u"tester"_s);

        const auto info = store->streamInfo(u"a-1"_s);
        QVERIFY(info);
        QCOMPARE(info->version, 2);
        QCOMPARE(info->type, u"Thing"_s);
    }

    void expectedVersionConflicts_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<qint64>("version");
        QTest::addColumn<bool>("ok");
        QTest::newRow("any") << int(ExpectedVersion::Any) << qint64(0) << true;
        QTest::newRow("exact match") << int(ExpectedVersion::Exact) << qint64(2) << true;
        QTest::newRow("exact behind") << int(ExpectedVersion::Exact) << qint64(1) << false;
        QTest::newRow("exact ahead") << int(ExpectedVersion::Exact) << qint64(5) << false;
        QTest::newRow("no stream but exists") << int(ExpectedVersion::NoStream) << qint64(0) << false;
    }
    void expectedVersionConflicts()
    {
        QFETCH(int, kind);
        QFETCH(qint64, version);
        QFETCH(bool, ok);
        ES_STORE_LOCATION(where, m_stores, u"conflicts-"_s + QString::fromLatin1(QTest::currentDataTag()));
        auto store = EventStore::open(where, EventStore::Mode::Create);
        QVERIFY2(store, qPrintable(store.error().message));
        QVERIFY((*store)->append(req(u"s"_s, {ev(u"A"_s, {}), ev(u"B"_s, {})})));
        const qint64 headBefore = (*store)->headPosition();
        auto r = (*store)->append(req(u"s"_s, {ev(u"C"_s, {})}, {ExpectedVersion::Kind(kind), version}));
        QCOMPARE(bool(r), ok);
        if (!ok) {
            QCOMPARE(r.error().code, ErrorCode::Conflict);
            QCOMPARE(r.error().actualVersion, 2);
            QVERIFY2(r.error().message.contains(u"stream is at version 2"_s), qPrintable(r.error().message));
            QCOMPARE((*store)->headPosition(), headBefore);
            QCOMPARE((*store)->streamInfo(u"s"_s)->version, 2);
        }
    }

    void uniqueConstraintBacksTheCheck()
    {
        auto store = create(u"unique.db"_s);
        if (!store)
            return;
        QVERIFY(store->append(req(u"s"_s, {ev(u"A"_s, {})})));
        // Even if the streams table lied, the (stream, version) constraint refuses a second version 1.
        QSqlQuery q(store->database());
        QVERIFY(q.exec(u"UPDATE streams SET version = 0"_s));
        auto r = store->append(req(u"s"_s, {ev(u"B"_s, {})}));
        QVERIFY(!r);
        QCOMPARE(r.error().code, ErrorCode::Conflict);
        QCOMPARE(store->headPosition(), 1);
    }

    void idempotentReappend()
    {
        auto store = create(u"idem.db"_s);
        if (!store)
            return;
        const QList<NewEvent> batch = {ev(u"A"_s, {{u"x"_s, 1}}, u"11111111-1111-1111-1111-111111111111"_s),
                                       ev(u"B"_s, {{u"x"_s, 2}}, u"22222222-2222-2222-2222-222222222222"_s)};
        auto first = store->append(req(u"s"_s, batch));
        QVERIFY(first);
        QSignalSpy published(store.get(), &EventStore::eventsAppended);
        auto again = store->append(req(u"s"_s, batch, ExpectedVersion::noStream()));
        QVERIFY2(again, qPrintable(again.error().message));
        QVERIFY(again->idempotent);
        QCOMPARE(again->firstPosition(), first->firstPosition());
        QCOMPARE(again->lastPosition(), first->lastPosition());
        QCOMPARE(store->headPosition(), 2);
        QCOMPARE(published.count(), 0);

        QList<NewEvent> changed = batch;
        changed[1].data = QJsonObject{{u"x"_s, 99}};
        auto clash = store->append(req(u"s"_s, changed));
        QVERIFY(!clash);
        QCOMPARE(clash.error().code, ErrorCode::DuplicateId);
        QVERIFY(clash.error().message.contains(u"different content"_s));
        QCOMPARE(store->headPosition(), 2);
    }

    void queries()
    {
        auto store = create(u"queries.db"_s);
        if (!store)
            return;
        for (int i = 0; i < 10; ++i) {
            NewEvent e = ev(i % 2 ? u"Odd"_s : u"Even"_s, {{u"i"_s, i}});
            e.metadata.insert(u"correlationId"_s, i < 5 ? u"first"_s : u"second"_s);
            e.metadata.insert(u"actor"_s, i < 3 ? u"ann"_s : u"bo"_s);
            e.recordedMs = 1'700'000'000'000 + i * 1000;
            QVERIFY(store->append(req(u"s-%1"_s.arg(i % 3), {e})));
        }
        EventQuery q;
        q.types = {u"Odd"_s};
        QCOMPARE(store->query(q)->size(), 5);
        q = {};
        q.correlationId = u"second"_s;
        QCOMPARE(store->query(q)->size(), 5);
        QCOMPARE(store->query(q)->constFirst().position, 6);
        q = {};
        q.actor = u"ann"_s;
        QCOMPARE(store->query(q)->size(), 3);
        q = {};
        q.fromMs = 1'700'000'002'000;
        q.toMs = 1'700'000'004'000;
        QCOMPARE(store->query(q)->size(), 3);
        q = {};
        q.fromPosition = 4;
        q.limit = 3;
        auto page = store->query(q);
        QCOMPARE(page->size(), 3);
        QCOMPARE(page->constFirst().position, 4);
        QCOMPARE(page->constLast().position, 6);
        q = {};
        q.backward = true;
        q.limit = 2;
        page = store->query(q);
        QCOMPARE(page->constFirst().position, 10);
        QCOMPARE(page->constLast().position, 9);
        QCOMPARE(store->readStream(u"s-0"_s, 2, 3)->size(), 2);
        auto streams = store->streams();
        QCOMPARE(streams->size(), 3);
        QCOMPARE(streams->at(0).stream, u"s-0"_s);
        QCOMPARE(streams->at(0).version, 4);
        QCOMPARE(streams->at(0).firstMs, 1'700'000'000'000);
        QCOMPARE(streams->at(0).lastMs, 1'700'000'009'000);
        QCOMPARE(store->positionAtTime(1'700'000'003'500), 4);
        int scanned = 0;
        QVERIFY(store->scan(8, [&](const RecordedEvent &) { return ++scanned < 100; }));
        QCOMPARE(scanned, 3);
    }

    void eventsAreAppendOnlyInSql()
    {
        auto store = create(u"appendonly.db"_s);
        if (!store)
            return;
        QVERIFY(store->append(req(u"s"_s, {ev(u"A"_s, {})})));
        QSqlQuery q(store->database());
        QVERIFY(!q.exec(u"UPDATE events SET data = '{}'"_s));
        QVERIFY(q.lastError().text().contains(u"append-only"_s));
        QVERIFY(!q.exec(u"DELETE FROM events"_s));
        if (testingPostgres())
            QVERIFY(!q.exec(u"TRUNCATE events"_s));
        QCOMPARE(store->headPosition(), 1);
    }

    void verifyCatchesTampering_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<qint64>("position");
        QTest::addColumn<QString>("message");
        QTest::newRow("payload changed") << u"UPDATE events SET data = '{\"amount\":1000000}' WHERE position = 3"_s
                                         << qint64(3) << u"does not match its hash"_s;
        QTest::newRow("type changed") << u"UPDATE events SET type = 'Forged' WHERE position = 4"_s << qint64(4)
                                      << u"does not match its hash"_s;
        QTest::newRow("event deleted") << u"DELETE FROM events WHERE position = 2"_s << qint64(2)
                                       << u"is missing"_s;
        QTest::newRow("hash rewritten") << u"UPDATE events SET hash = '00' WHERE position = 5"_s << qint64(5)
                                        << u"does not match its hash"_s;
    }
    void verifyCatchesTampering()
    {
        QFETCH(QString, sql);
        QFETCH(qint64, position);
        QFETCH(QString, message);
        ES_STORE_LOCATION(file, m_stores,
                          u"tamper-%1.db"_s.arg(QString::fromLatin1(QTest::currentDataTag())).replace(u' ', u'-'));
        {
            auto store = EventStore::open(file, EventStore::Mode::Create);
            QVERIFY(store);
            for (int i = 0; i < 6; ++i)
                QVERIFY((*store)->append(req(u"s"_s, {ev(u"E"_s, {{u"amount"_s, i}})})));
            auto clean = (*store)->verify();
            QVERIFY(clean && clean->intact);
            QCOMPARE(clean->checked, 6);
            QSqlQuery q((*store)->database());
            // An attacker with plain SQL access can drop the guards; the chain still tells.
            if (testingPostgres()) {
                QVERIFY(q.exec(u"DROP TRIGGER events_append_only ON events"_s));
            } else {
                QVERIFY(q.exec(u"DROP TRIGGER events_append_only_update"_s));
                QVERIFY(q.exec(u"DROP TRIGGER events_append_only_delete"_s));
            }
            QVERIFY2(q.exec(sql), qPrintable(q.lastError().text()));
        }
        auto store = EventStore::open(file, EventStore::Mode::ReadOnly);
        QVERIFY(store);
        auto report = (*store)->verify();
        QVERIFY(report);
        QVERIFY(!report->intact);
        QCOMPARE(report->firstBadPosition, position);
        QVERIFY2(report->problem.contains(message), qPrintable(report->problem));
    }

    void readOnlyRefusesWrites()
    {
        {
            auto writer = create(u"ro.db"_s);
            QVERIFY(writer && writer->append(req(u"s"_s, {ev(u"A"_s, {})})));
        }
        const QString file = m_lastLocation;
        auto store = EventStore::open(file, EventStore::Mode::ReadOnly);
        QVERIFY2(store, qPrintable(store.error().message));
        QVERIFY((*store)->isReadOnly());
        QCOMPARE((*store)->headPosition(), 1);
        auto r = (*store)->append(req(u"s"_s, {ev(u"B"_s, {})}));
        QVERIFY(!r);
        QCOMPARE(r.error().code, ErrorCode::ReadOnly);
        // Enforced by the database (SQLite's read-only open, a read-only PostgreSQL session), not only by the check above.
        QSqlQuery q((*store)->database());
        QVERIFY(!q.exec(u"INSERT INTO es_meta(key, value) VALUES ('x', 'y')"_s));
        QVERIFY2(q.lastError().text().contains(u"readonly"_s) || q.lastError().text().contains(u"read-only"_s),
                 qPrintable(q.lastError().text()));
        QCOMPARE((*store)->headPosition(), 1);
    }

    void refusesForeignFiles_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("sql");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message");
        if (!testingPostgres()) { // files only SQLite would be handed
            QTest::newRow("text file") << QByteArray("hello, this is not a database\n") << QString()
                                       << int(ErrorCode::NotAStore) << u"not a SQLite database"_s;
            QTest::newRow("png header") << QByteArray("\x89PNG\r\n\x1a\n0000000000000000", 24) << QString()
                                        << int(ErrorCode::NotAStore) << u"not a SQLite database"_s;
        }
        QTest::newRow("other database") << QByteArray() << u"CREATE TABLE customers(id INTEGER, name TEXT)"_s
                                      << int(ErrorCode::NotAStore) << u"other tables (customers)"_s;
        QTest::newRow("newer schema") << QByteArray()
                                      << u"CREATE TABLE es_meta(key TEXT PRIMARY KEY, value TEXT);"
                                         "INSERT INTO es_meta VALUES ('schema_version', '99')"_s
                                      << int(ErrorCode::NewerSchema) << u"newer Eventscope (store schema 99"_s;
    }
    void refusesForeignFiles()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, sql);
        QFETCH(int, code);
        QFETCH(QString, message);
        if (testingPostgres()) {
            ES_STORE_LOCATION(where, m_stores, u"foreign-"_s + QString::fromLatin1(QTest::currentDataTag()));
            auto tables = [](const QSqlDatabase &db) {
                QSqlQuery q(db);
                q.exec(u"SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                       "ORDER BY 1"_s);
                QStringList out;
                while (q.next())
                    out << q.value(0).toString();
                return out;
            };
            QStringList before;
            {
                auto db = StoreAddress::parse(where)->openPostgres(u"foreign"_s, false);
                QVERIFY2(db, qPrintable(db.error().message));
                for (const QString &statement : sql.split(u';'))
                    QVERIFY(QSqlQuery(*db).exec(statement));
                before = tables(*db);
                for (auto mode : {EventStore::Mode::ReadWrite, EventStore::Mode::Create, EventStore::Mode::ReadOnly}) {
                    auto store = EventStore::open(where, mode);
                    QVERIFY(!store);
                    QCOMPARE(int(store.error().code), code);
                    QVERIFY2(store.error().message.contains(message), qPrintable(store.error().message));
                    QVERIFY2(store.error().message.contains(where), qPrintable(store.error().message));
                }
                QCOMPARE(tables(*db), before); // nothing created
                db->close();
            }
            QSqlDatabase::removeDatabase(u"foreign"_s);
            return;
        }
        const QString file = path(u"foreign-%1.db"_s.arg(QString::fromLatin1(QTest::currentDataTag())).replace(u' ', u'-'));
        if (!content.isEmpty()) {
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(content);
        } else {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"foreign"_s);
            db.setDatabaseName(file);
            QVERIFY(db.open());
            for (const QString &statement : sql.split(u';'))
                QVERIFY(QSqlQuery(db).exec(statement));
            db.close();
            db = QSqlDatabase();
            QSqlDatabase::removeDatabase(u"foreign"_s);
        }
        const QByteArray before = readAll(file);
        for (auto mode : {EventStore::Mode::ReadWrite, EventStore::Mode::Create, EventStore::Mode::ReadOnly}) {
            auto store = EventStore::open(file, mode);
            QVERIFY(!store);
            QCOMPARE(int(store.error().code), code);
            QVERIFY2(store.error().message.contains(message), qPrintable(store.error().message));
            QVERIFY2(store.error().message.contains(file), qPrintable(store.error().message));
        }
        QCOMPARE(readAll(file), before); // not a byte changed
        QVERIFY(!QFile::exists(file + u"-wal"_s));
    }

    void missingStoreIsNotCreatedImplicitly()
    {
        if (testingPostgres()) {
            // An empty database is not a store until `init` (Create) makes it one.
            ES_STORE_LOCATION(where, m_stores, u"missing"_s);
            auto store = EventStore::open(where, EventStore::Mode::ReadWrite);
            QVERIFY(!store);
            QCOMPARE(store.error().code, ErrorCode::NotFound);
            QVERIFY2(store.error().message.contains(u"eventscope-cli init"_s), qPrintable(store.error().message));
            auto created = EventStore::open(where, EventStore::Mode::Create);
            QVERIFY2(created, qPrintable(created.error().message));
            return;
        }
        const QString file = path(u"missing.db"_s);
        auto store = EventStore::open(file, EventStore::Mode::ReadWrite);
        QVERIFY(!store);
        QCOMPARE(store.error().code, ErrorCode::NotFound);
        QVERIFY(!QFile::exists(file));
    }

    void exportImportRoundTripIsExact()
    {
        auto source = create(u"export-src.db"_s);
        if (!source)
            return;
        for (int i = 0; i < 50; ++i) {
            NewEvent e = ev(u"Thing%1"_s.arg(i % 4), {{u"i"_s, i}, {u"name"_s, u"é ü \"quoted\""_s}});
            e.metadata.insert(u"extra"_s, QJsonObject{{u"nested"_s, true}});
            QVERIFY(source->append(req(u"stream-%1"_s.arg(i % 7), {e})));
        }
        QBuffer first;
        first.open(QIODevice::ReadWrite);
        auto n = eventio::exportEvents(*source, 1, first);
        QVERIFY(n);
        QCOMPARE(*n, 50);

        auto target = create(u"export-dst.db"_s);

        if (!target)

            return;
        first.seek(0);
        auto imported = eventio::importEvents(*target, first);
        QVERIFY2(imported, qPrintable(imported.error().message));
        QCOMPARE(*imported, 50);
        QBuffer second;
        second.open(QIODevice::ReadWrite);
        QVERIFY(eventio::exportEvents(*target, 1, second));
        QCOMPARE(second.data(), first.data());
        QVERIFY(target->verify()->intact);
        QCOMPARE(target->streamInfo(u"stream-3"_s)->type, u"Thing"_s);

        // Importing the same file again changes nothing.
        first.seek(0);
        auto again = eventio::importEvents(*target, first);
        QVERIFY(again);
        QCOMPARE(*again, 0);
        QCOMPARE(target->headPosition(), 50);
    }

    void importErrorsNameTheLineAndWriteNothing_data()
    {
        QTest::addColumn<QByteArray>("badLine");
        QTest::addColumn<QString>("message");
        QTest::newRow("malformed JSON") << QByteArray("{\"stream\": \"x\", ") << u"line 3: malformed JSON"_s;
        QTest::newRow("not an object") << QByteArray("[1,2,3]") << u"line 3: expected a JSON object"_s;
        QTest::newRow("no stream")
            << QByteArray(R"({"type":"A","eventId":"e-3","version":1,"recordedAt":"2026-01-01T00:00:00.000Z","data":{}})")
            << u"line 3: missing \"stream\""_s;
        QTest::newRow("bad time")
            << QByteArray(R"({"stream":"z","type":"A","eventId":"e-3","version":1,"recordedAt":"yesterday","data":{}})")
            << u"line 3: \"recordedAt\" is not an ISO 8601 time"_s;
        QTest::newRow("version gap")
            << QByteArray(R"({"stream":"s","type":"A","eventId":"e-3","version":5,"recordedAt":"2026-01-01T00:00:00.000Z","data":{}})")
            << u"line 3: stream s version 5 does not follow the stored version 2"_s;
    }
    void importErrorsNameTheLineAndWriteNothing()
    {
        QFETCH(QByteArray, badLine);
        QFETCH(QString, message);
        QByteArray file = R"({"stream":"s","streamType":"T","type":"A","eventId":"e-1","version":1,"recordedAt":"2026-01-01T00:00:00.000Z","data":{"a":1},"metadata":{}})"
                          "\n"
                          R"({"stream":"s","streamType":"T","type":"A","eventId":"e-2","version":2,"recordedAt":"2026-01-01T00:00:01.000Z","data":{"a":2},"metadata":{}})"
                          "\n";
        file += badLine + "\n";
        QBuffer buffer(&file);
        buffer.open(QIODevice::ReadOnly);
        ES_STORE_LOCATION(where, m_stores, u"import-"_s + QString::fromLatin1(QTest::currentDataTag()));
        auto store = EventStore::open(where, EventStore::Mode::Create);
        QVERIFY2(store, qPrintable(store.error().message));
        auto r = eventio::importEvents(**store, buffer);
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(message), qPrintable(r.error().message));
        QCOMPARE((*store)->headPosition(), 0);
        QVERIFY(!(*store)->streamInfo(u"s"_s));
    }

    void schemaIsVersioned()
    {
        auto store = create(u"schema.db"_s);
        if (!store)
            return;
        QSqlQuery q(store->database());
        QVERIFY(q.exec(u"SELECT value FROM es_meta WHERE key = 'schema_version'"_s) && q.next());
        QCOMPARE(q.value(0).toInt(), EventStore::SchemaVersion);
        if (testingPostgres()) {
            QVERIFY(store->isPostgres());
            QCOMPARE(store->database().driverName(), u"QPSQL"_s);
            return;
        }
        QVERIFY(q.exec(u"PRAGMA journal_mode"_s) && q.next());
        QCOMPARE(q.value(0).toString(), u"wal"_s);
    }
};

QTEST_GUILESS_MAIN(TestEventStore)
#include "tst_eventstore.moc"
