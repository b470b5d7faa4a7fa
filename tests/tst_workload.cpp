// The demo-data generator (`eventscope-cli generate`): the same seed gives the
// same store every run, and it leaves to the reactions the commands they send.

#include "commandpipeline.h"
#include "eventstore.h"
#include "jsdomain.h"
#include "testsupport.h"
#include "workload.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace es;

class TestWorkload : public QObject {
    Q_OBJECT

private:
    struct Run {
        QStringList streams;
        QStringList commands;      // type@stream, in log order
        QStringList clientSent;    // commands the generator sent itself
        QStringList reactionSent;  // commands reactions sent
        WorkloadGenerator::Stats stats;
    };

    static Run generate(const QString &pack, quint32 seed, qint64 commands)
    {
        Run out;
        auto domain = JsDomain::load(sourcePath(u"resources/domains/%1.js"_s.arg(pack)));
        if (!domain)
            qFatal("%s", qPrintable(domain.error().message));
        auto store = EventStore::open(u":memory:"_s, EventStore::Mode::Create);
        if (!store)
            qFatal("%s", qPrintable(store.error().message));
        CommandPipeline pipeline(store->get(), domain->get());
        WorkloadGenerator::Options options;
        options.commands = commands;
        options.seed = seed;
        auto stats = WorkloadGenerator(&pipeline, options).run();
        if (!stats)
            qFatal("%s", qPrintable(stats.error().message));
        out.stats = *stats;
        auto streams = (*store)->streams({}, 100000);
        for (const StreamInfo &s : *streams)
            out.streams << s.stream;
        out.streams.sort();
        auto log = (*store)->commands(0, 100000);
        for (const CommandRecord &r : *log) {
            out.commands << r.type + u'@' + r.stream;
            const bool byReaction = r.metadata.value(u"actor"_s).toString().startsWith(u"reaction:"_s);
            (byReaction ? out.reactionSent : out.clientSent) << r.type;
        }
        return out;
    }

private Q_SLOTS:
    void sameSeedSameStore_data()
    {
        QTest::addColumn<QString>("pack");
        for (const char *pack : {"bank", "shop", "identity"})
            QTest::newRow(pack) << QString::fromLatin1(pack);
    }

    void sameSeedSameStore()
    {
        QFETCH(QString, pack);
        const Run a = generate(pack, 5, 300);
        const Run b = generate(pack, 5, 300);
        QVERIFY(a.streams.size() > 5);
        QCOMPARE(a.streams, b.streams); // stream ids from the seed (shop: order-<ctx.newId()>)
        QCOMPARE(a.commands, b.commands);
        QCOMPARE(a.stats.accepted, b.stats.accepted);
        const Run c = generate(pack, 6, 300);
        QVERIFY(a.commands != c.commands);
    }

    // Orders are placed by the reaction to a checkout: the generator does not
    // place them itself, and it works on the orders the reactions placed.
    void reactionCommandsAreLeftToReactions()
    {
        const Run run = generate(u"shop"_s, 11, 600);
        QVERIFY2(run.reactionSent.contains(u"PlaceOrder"_s), qPrintable(run.reactionSent.join(u", "_s)));
        // Before the first checkout, the generator cannot know PlaceOrder is a reaction's: at most a few slip through.
        QVERIFY2(run.clientSent.count(u"PlaceOrder"_s) <= 2, qPrintable(QString::number(run.clientSent.count(u"PlaceOrder"_s))));
        QVERIFY(run.clientSent.contains(u"PayOrder"_s) || run.clientSent.contains(u"ShipOrder"_s));
    }
};

QTEST_GUILESS_MAIN(TestWorkload)
#include "tst_workload.moc"
