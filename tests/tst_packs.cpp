#include "commandpipeline.h"
#include "eventstore.h"
#include "jsdomain.h"
#include "repository.h"
#include "testsupport.h"
#include "workload.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace es;

// The sample packs: they load, they run through the real pipeline, and they
// give the same results in Node.js as in Eventscope.
class TestPacks : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static QStringList packs()
    {
        return {u"bank"_s, u"shop"_s, u"publishing"_s, u"identity"_s};
    }
    static QString packPath(const QString &name)
    {
        return sourcePath(u"resources/domains/%1.js"_s.arg(name));
    }
    static QString node()
    {
        const QString path = QStandardPaths::findExecutable(u"node"_s);
        return path.isEmpty() ? QStandardPaths::findExecutable(u"nodejs"_s) : path;
    }

private Q_SLOTS:
    void samplePacksDescribeThemselves_data()
    {
        QTest::addColumn<QString>("pack");
        for (const QString &p : packs())
            QTest::newRow(qPrintable(p)) << p;
    }
    void samplePacksDescribeThemselves()
    {
        QFETCH(QString, pack);
        auto d = JsDomain::load(packPath(pack));
        QVERIFY2(d, qPrintable(d.error().message));
        const DomainInfo &info = (*d)->info();
        QCOMPARE(info.name, pack);
        QVERIFY(!info.version.isEmpty());
        QVERIFY(!info.aggregates.isEmpty());
        for (const AggregateSpec &a : info.aggregates) {
            QVERIFY2(!a.commands.isEmpty(), qPrintable(a.name));
            QVERIFY2(!a.eventTypes.isEmpty(), qPrintable(a.name));
        }
        if (pack != u"bank"_s)
            QVERIFY(!info.projections.isEmpty());
    }

    // The pack's own given/when/then cases, run by the shipped Node harness.
    void nodeHarnessCasesPass_data() { samplePacksDescribeThemselves_data(); }
    void nodeHarnessCasesPass()
    {
        QFETCH(QString, pack);
        const QString cases = sourcePath(u"resources/domains/cases/%1.cases.json"_s.arg(pack));
        if (!QFile::exists(cases))
            QSKIP("this pack ships no cases file");
        QVERIFY2(!node().isEmpty(), "node is not installed (scripts/test.sh installs it)");
        QProcess p;
        p.start(node(), {sourcePath(u"resources/harness/harness.js"_s), packPath(pack), cases});
        QVERIFY(p.waitForFinished(60000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardOutput().constData());
    }

    // The same seeded command sequence through Eventscope and through Node:
    // the same outcomes, and the same final state for every stream.
    void nodeAndEventscopeAgree_data() { samplePacksDescribeThemselves_data(); }
    void nodeAndEventscopeAgree()
    {
        QFETCH(QString, pack);
        QVERIFY2(!node().isEmpty(), "node is not installed (scripts/test.sh installs it)");
        auto domain = JsDomain::load(packPath(pack));
        QVERIFY2(domain, qPrintable(domain.error().message));
        auto store = EventStore::open(u":memory:"_s, EventStore::Mode::Create);
        QVERIFY(store);
        CommandPipeline pipeline(store->get(), domain->get());

        QByteArray sequence;
        QStringList outcomes;
        connect(&pipeline, &CommandPipeline::commandExecuted, this, [&](const CommandResult &r) {
            if (r.record.outcome != CommandOutcome::Accepted && r.record.outcome != CommandOutcome::Rejected)
                return; // conflicts and failures never reach the domain's decision
            QJsonArray ids;
            if (!r.events.isEmpty())
                ids = r.events.constFirst().metadataObject().value(u"ids"_s).toArray();
            else
                for (int i = 0; i < 8; ++i)
                    ids.append(u"unused-%1"_s.arg(i));
            const QJsonObject line{
                {u"command"_s, QString(r.record.aggregate + u'.' + r.record.type)},
                {u"stream"_s, r.record.stream},
                {u"commandId"_s, r.record.commandId},
                {u"data"_s, r.command.payload},
                {u"ctx"_s, QJsonObject{{u"nowMs"_s, r.record.recordedMs},
                                       {u"actor"_s, r.record.metadata.value(u"actor"_s)},
                                       {u"ids"_s, ids}}},
            };
            sequence += QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n';
            outcomes << outcomeName(r.record.outcome);
        });
        WorkloadGenerator::Options options;
        options.commands = 400;
        options.seed = 7;
        WorkloadGenerator generator(&pipeline, options);
        auto stats = generator.run();
        QVERIFY2(stats, qPrintable(stats.error().message));
        QCOMPARE(stats->failed, 0);
        QVERIFY2(stats->accepted > 40, qPrintable(u"only %1 accepted"_s.arg(stats->accepted)));
        QVERIFY(stats->rejected > 0);

        const QString file = m_dir.filePath(pack + u".jsonl"_s);
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(sequence);
        f.close();
        QProcess p;
        p.start(node(), {sourcePath(u"resources/harness/harness.js"_s), packPath(pack), u"--sequence"_s, file});
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const QJsonObject nodeResult = QJsonDocument::fromJson(p.readAllStandardOutput()).object();

        QStringList nodeOutcomes;
        for (const auto &o : nodeResult.value(u"outcomes"_s).toArray())
            nodeOutcomes << o.toString();
        QCOMPARE(nodeOutcomes, outcomes);

        const QJsonObject nodeStreams = nodeResult.value(u"streams"_s).toObject();
        auto streams = (*store)->streams();
        QVERIFY(streams);
        QCOMPARE(qsizetype(nodeStreams.size()), streams->size());
        Repository repo(store->get(), domain->get());
        repo.setCacheEnabled(false);
        for (const StreamInfo &s : *streams) {
            const QJsonObject n = nodeStreams.value(s.stream).toObject();
            QVERIFY2(!n.isEmpty(), qPrintable(u"Node has no stream "_s + s.stream));
            auto loaded = repo.load({}, s.stream);
            QVERIFY(loaded);
            QCOMPARE(n.value(u"version"_s).toInteger(), loaded->version);
            if (n.value(u"state"_s).toObject() != loaded->state)
                QFAIL(qPrintable(u"%1 differs:\n  node:       %2\n  eventscope: %3"_s.arg(
                    s.stream, QString::fromUtf8(QJsonDocument(n.value(u"state"_s).toObject()).toJson(QJsonDocument::Compact)),
                    QString::fromUtf8(QJsonDocument(loaded->state).toJson(QJsonDocument::Compact)))));
        }
    }

    void reactionsCarryCausationAndCorrelation()
    {
        auto domain = JsDomain::load(packPath(u"shop"_s));
        QVERIFY2(domain, qPrintable(domain.error().message));
        auto store = EventStore::open(u":memory:"_s, EventStore::Mode::Create);
        QVERIFY(store);
        CommandPipeline pipeline(store->get(), domain->get());
        auto run = [&](const QString &type, const QString &stream, const QJsonObject &payload) {
            Command c;
            c.type = type;
            c.stream = stream;
            c.payload = payload;
            c.metadata.insert(meta::Actor, u"tester"_s);
            return pipeline.execute(c);
        };
        QVERIFY(run(u"AddProduct"_s, u"product-MUG-1"_s,
                    {{u"name"_s, u"Mug"_s}, {u"description"_s, u"A mug"_s}, {u"price"_s, 8.5}, {u"stock"_s, 10}})
                    .accepted());
        QVERIFY(run(u"AddItem"_s, u"cart-1"_s, {{u"sku"_s, u"MUG-1"_s}, {u"quantity"_s, 2}, {u"unitPrice"_s, 8.5}})
                    .accepted());
        const CommandResult checkout = run(u"Checkout"_s, u"cart-1"_s, {{u"customer"_s, u"ann"_s}});
        QVERIFY2(checkout.accepted(), qPrintable(checkout.record.reason));
        QVERIFY2(checkout.reactions.size() >= 2, qPrintable(checkout.reactionError)); // PlaceOrder, ReserveStock
        QVERIFY(checkout.reactionError.isEmpty());
        for (const CommandRecord &r : checkout.reactions) {
            QCOMPARE(r.outcome, CommandOutcome::Accepted);
            QCOMPARE(r.metadata.value(u"correlationId"_s).toString(), checkout.record.commandId);
            QVERIFY(r.metadata.value(u"actor"_s).toString().startsWith(u"reaction:"_s));
        }
        // The first reaction was caused by the checkout's event.
        QCOMPARE(checkout.reactions.first().metadata.value(u"causationId"_s).toString(),
                 checkout.events.constFirst().eventId);
        auto product = Repository(store->get(), domain->get()).load({}, u"product-MUG-1"_s);
        QVERIFY(product);
        QCOMPARE(product->version, 2); // added, then stock reserved by the reaction
    }

    // bank.js: a transfer to a closed account bounces and a reaction refunds
    // the sender; the whole process shares the first command's correlation id.
    void transferCompensation()
    {
        auto domain = JsDomain::load(packPath(u"bank"_s));
        QVERIFY2(domain, qPrintable(domain.error().message));
        auto store = EventStore::open(u":memory:"_s, EventStore::Mode::Create);
        QVERIFY(store);
        CommandPipeline pipeline(store->get(), domain->get());
        auto run = [&](const QString &type, const QString &stream, const QJsonObject &payload) {
            Command c;
            c.type = type;
            c.stream = stream;
            c.payload = payload;
            return pipeline.execute(c);
        };
        QVERIFY(run(u"OpenAccount"_s, u"a"_s, {{u"owner"_s, u"A"_s}, {u"currency"_s, u"EUR"_s}}).accepted());
        QVERIFY(run(u"OpenAccount"_s, u"b"_s, {{u"owner"_s, u"B"_s}, {u"currency"_s, u"EUR"_s}}).accepted());
        QVERIFY(run(u"Deposit"_s, u"a"_s, {{u"amount"_s, 100}}).accepted());
        const CommandResult ok = run(u"SendTransfer"_s, u"a"_s, {{u"to"_s, u"b"_s}, {u"amount"_s, 30}});
        QVERIFY2(ok.accepted(), qPrintable(ok.record.reason));
        QCOMPARE(ok.reactions.size(), 1);
        QVERIFY(run(u"Withdraw"_s, u"b"_s, {{u"amount"_s, 30}}).accepted());
        QVERIFY(run(u"CloseAccount"_s, u"b"_s, {}).accepted());

        const CommandResult bounced = run(u"SendTransfer"_s, u"a"_s, {{u"to"_s, u"b"_s}, {u"amount"_s, 20}});
        QVERIFY(bounced.accepted());
        QCOMPARE(bounced.reactions.size(), 2); // ReceiveTransfer (bounces), RefundTransfer
        QCOMPARE(bounced.reactions.at(0).type, u"ReceiveTransfer"_s);
        QCOMPARE(bounced.reactions.at(1).type, u"RefundTransfer"_s);
        Repository repo(store->get(), domain->get());
        QCOMPARE(repo.load({}, u"a"_s)->state.value(u"balance"_s).toDouble(), 70.0);
        EventQuery q;
        q.correlationId = bounced.record.commandId;
        auto tree = (*store)->query(q);
        QVERIFY(tree);
        QStringList types;
        for (const RecordedEvent &e : *tree)
            types << e.type;
        QCOMPARE(types, (QStringList{u"TransferSent"_s, u"TransferBounced"_s, u"TransferRefunded"_s}));
    }

    void reactionLoopIsStopped()
    {
        const QString file = m_dir.filePath(u"loop.js"_s);
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"js((function () { return {
  name: "loop", version: "1",
  aggregates: { Ping: { initialState: {n: 0},
    commands: { Ping: { fields: {}, decide: function (s) { return [{ type: "Pinged", data: {} }]; } } },
    evolve: { Pinged: function (s) { return { n: s.n + 1 }; } } } },
  reactions: { Echo: { on: "Pinged", handle: function (e) { return [{ command: "Ping", stream: e.stream, data: {} }]; } } }
}; })())js");
        f.close();
        auto domain = JsDomain::load(file);
        QVERIFY2(domain, qPrintable(domain.error().message));
        auto store = EventStore::open(u":memory:"_s, EventStore::Mode::Create);
        QVERIFY(store);
        CommandPipeline pipeline(store->get(), domain->get());
        Command c;
        c.type = u"Ping"_s;
        c.stream = u"p-1"_s;
        const CommandResult r = pipeline.execute(c);
        QVERIFY(r.accepted());
        QVERIFY2(r.reactionError.contains(u"reaction loop detected"_s), qPrintable(r.reactionError));
        QVERIFY(r.reactionError.contains(u"Echo(Pinged on p-1)"_s));
        QVERIFY((*store)->headPosition() < 20);
        // The stop is visible in the command log.
        auto log = (*store)->commands();
        QVERIFY(log);
        QCOMPARE(log->constLast().outcome, CommandOutcome::Failed);
        QVERIFY(log->constLast().reason.contains(u"reaction loop"_s));
    }

    void secretsNeverReachTheLogOrEvents()
    {
        auto domain = JsDomain::load(packPath(u"identity"_s));
        QVERIFY2(domain, qPrintable(domain.error().message));
        auto store = EventStore::open(u":memory:"_s, EventStore::Mode::Create);
        QVERIFY(store);
        CommandPipeline pipeline(store->get(), domain->get());
        Command c;
        c.type = u"Register"_s;
        c.stream = u"user-ann"_s;
        c.payload = {{u"email"_s, u"ann@example.com"_s}, {u"password"_s, u"correct horse battery"_s}};
        const CommandResult r = pipeline.execute(c);
        QVERIFY2(r.accepted(), qPrintable(r.record.reason + r.error.message));
        const QByteArray all = QJsonDocument((*store)->commands()->constFirst().toJson()).toJson();
        QVERIFY(!all.contains("correct horse"));
        for (const RecordedEvent &e : r.events) {
            QVERIFY(!e.data.contains("correct horse"));
            QVERIFY(!e.metadata.contains("correct horse"));
        }
        Command login;
        login.type = u"Login"_s;
        login.stream = u"user-ann"_s;
        login.payload = {{u"password"_s, u"correct horse battery"_s}};
        const CommandResult ok = pipeline.execute(login);
        QVERIFY(ok.accepted());
        QStringList types;
        for (const RecordedEvent &e : ok.events)
            types << e.type;
        QVERIFY2(types.contains(u"LoginSucceeded"_s), qPrintable(types.join(u", "_s)));
    }

    void projectionHandlersRunInTheEngine()
    {
        auto domain = JsDomain::load(packPath(u"publishing"_s));
        QVERIFY2(domain, qPrintable(domain.error().message));
        auto store = EventStore::open(u":memory:"_s, EventStore::Mode::Create);
        QVERIFY(store);
        CommandPipeline pipeline(store->get(), domain->get());
        Command draft;
        draft.type = u"DraftArticle"_s;
        draft.stream = u"article-hello"_s;
        draft.payload = {{u"title"_s, u"Hello <world>"_s}, {u"body"_s, u"First post."_s}, {u"author"_s, u"ann"_s}};
        QVERIFY2(pipeline.execute(draft).accepted(), "draft");
        Command publish;
        publish.type = u"PublishArticle"_s;
        publish.stream = u"article-hello"_s;
        const CommandResult r = pipeline.execute(publish);
        QVERIFY2(r.accepted(), qPrintable(r.record.reason));
        const RecordedEvent &published = r.events.constFirst();
        auto keys = (*domain)->projectionKeys(u"Site"_s, published);
        QVERIFY2(keys, qPrintable(keys.error().message));
        QVERIFY2(keys->contains(u"/index.html"_s), qPrintable(keys->join(u", "_s)));
        QString articlePath;
        for (const QString &k : *keys)
            if (k != u"/index.html"_s)
                articlePath = k;
        auto page = (*domain)->project(u"Site"_s, QJsonValue::Null, published, articlePath);
        QVERIFY2(page, qPrintable(page.error().message));
        const QString html = page->toObject().value(u"html"_s).toString();
        QVERIFY2(html.contains(u"Hello &lt;world&gt;"_s), qPrintable(html));
    }
};

QTEST_GUILESS_MAIN(TestPacks)
#include "tst_packs.moc"
