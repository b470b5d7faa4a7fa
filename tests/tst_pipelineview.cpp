#include "pipeline/pipelinediagram.h"
#include "pipeline/pipelineflowmodel.h"
#include "pipeline/pipelinenodeitem.h"
#include "pipeline/pipelineplayer.h"
#include "pipeline/pipelineview.h"
#include "pipelinetrace.h"
#include "session.h"
#include "testsupport.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QGraphicsView>
#include <QLabel>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolBar>
#include <QToolButton>

using namespace Qt::StringLiterals;
using namespace es;

class TestPipelineView : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static std::unique_ptr<Session> open(const QString &path, const QString &pack = bankPack())
    {
        Session::Options o;
        o.storePath = path;
        o.packPath = pack;
        o.create = true;
        o.pollIntervalMs = 50;
        auto s = Session::open(o);
        if (!s)
            qWarning() << s.error().message;
        return s ? std::move(*s) : nullptr;
    }

    static CommandResult run(Session *s, const QString &type, const QString &stream, const QJsonObject &payload,
                             std::optional<qint64> expected = std::nullopt)
    {
        Command c;
        c.type = type;
        c.stream = stream;
        c.payload = payload;
        c.expectedVersion = expected;
        return s->execute(c);
    }

    static void openAccount(Session *s, const QString &stream, double deposit = 0)
    {
        QVERIFY(run(s, u"OpenAccount"_s, stream, {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}}).accepted());
        if (deposit > 0)
            QVERIFY(run(s, u"Deposit"_s, stream, {{u"amount"_s, deposit}}).accepted());
    }

    static QStringList keys(const PipelineTrace &t)
    {
        QStringList out;
        for (const PipelineStep &s : t.steps)
            out << s.at.key();
        return out;
    }

    static const QStringList &writeSide()
    {
        static const QStringList k{u"client"_s,    u"command"_s,    u"validation"_s, u"repository"_s,
                                   u"aggregate"_s, u"eventStore"_s, u"eventBus"_s};
        return k;
    }

    static void clickAction(PipelineView &view, const QString &name)
    {
        auto *action = view.findChild<QAction *>(name);
        QVERIFY2(action, qPrintable(name));
        auto *bar = view.findChild<QToolBar *>();
        QVERIFY(bar);
        auto *button = qobject_cast<QToolButton *>(bar->widgetForAction(action));
        QVERIFY(button);
        QVERIFY(button->isEnabled());
        QTest::mouseClick(button, Qt::LeftButton);
    }

    // Steps until the shown flow can go no further; returns the stages passed.
    static QStringList stepThrough(PipelineView &view)
    {
        QStringList seen{view.currentStage()};
        const int serial = view.player()->current() ? view.player()->current()->serial : 0;
        for (int i = 0; i < 20 && view.player()->current() && view.player()->current()->serial == serial &&
                        !view.player()->isFinished();
             ++i) {
            view.step();
            if (view.player()->current() && view.player()->current()->serial == serial && !view.player()->isFinished())
                seen << view.currentStage();
        }
        return seen;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
    }

    // --- PipelineTrace: the stages of a command, from its record ---

    void traceAccepted()
    {
        auto s = open(u":memory:"_s);
        const CommandResult r =
            run(s.get(), u"OpenAccount"_s, u"account-1"_s, {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}});
        QVERIFY(r.accepted());
        const PipelineTrace t = PipelineTrace::fromResult(r, &s->domain()->info());
        QCOMPARE(keys(t), writeSide());
        QCOMPARE(t.stop().node, PipelineNode::EventBus);
        QCOMPARE(t.steps.at(2).micros, r.record.timings.validateUs);
        QCOMPARE(t.steps.at(5).micros, r.record.timings.appendUs);
        QVERIFY(t.steps.at(4).micros > 0);
        QCOMPARE(t.fanOut.size(), 1);
        QCOMPARE(t.fanOut.constFirst().eventType, u"AccountOpened"_s);
        QCOMPARE(t.fanOut.constFirst().position, r.events.constFirst().position);
        QCOMPARE(t.projectionsReached(), QStringList{u"Balances"_s});
        QVERIFY(t.reactionsReached().isEmpty());
        QCOMPARE(PipelinePlayer::hops(t).size(), writeSide().size() + 2); // + Balances, + read store
    }

    void traceRejectedByValidation()
    {
        auto s = open(u":memory:"_s);
        const CommandResult r =
            run(s.get(), u"OpenAccount"_s, u"account-1"_s, {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"XYZ"_s}});
        QCOMPARE(r.record.outcome, CommandOutcome::Rejected);
        const PipelineTrace t = PipelineTrace::fromResult(r, &s->domain()->info());
        QCOMPARE(t.stop().node, PipelineNode::Validation);
        QCOMPARE(keys(t), writeSide().mid(0, 3));
        QVERIFY(t.fanOut.isEmpty());
        QVERIFY(t.reason.contains(u"currency"_s));
        QCOMPARE(PipelinePlayer::hops(t).size(), 3);
    }

    void traceRejectedInDecide()
    {
        auto s = open(u":memory:"_s);
        openAccount(s.get(), u"account-1"_s, 10);
        const CommandResult r = run(s.get(), u"Withdraw"_s, u"account-1"_s, {{u"amount"_s, 50}});
        QCOMPARE(r.record.outcome, CommandOutcome::Rejected);
        QVERIFY(!r.record.fieldErrors.isEmpty()); // decide names the field: still the aggregate's rejection
        const PipelineTrace t = PipelineTrace::fromResult(r, &s->domain()->info());
        QCOMPARE(t.stop().node, PipelineNode::Aggregate);
        QCOMPARE(keys(t), writeSide().mid(0, 5));
        QVERIFY(t.reason.contains(u"insufficient funds"_s));
    }

    void traceConflict()
    {
        auto s = open(u":memory:"_s);
        openAccount(s.get(), u"account-1"_s, 10);
        const CommandResult r = run(s.get(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 5}}, 1);
        QCOMPARE(r.record.outcome, CommandOutcome::Conflict);
        const PipelineTrace t = PipelineTrace::fromResult(r, &s->domain()->info());
        QCOMPARE(t.stop().node, PipelineNode::EventStore);
        QCOMPARE(keys(t), writeSide().mid(0, 6));
        QVERIFY(!t.steps.at(4).ran); // decide never ran: the version was checked first
        QVERIFY(t.steps.at(3).ran);
        QVERIFY(t.fanOut.isEmpty());
    }

    void stopStage_data()
    {
        QTest::addColumn<int>("outcome");
        QTest::addColumn<QList<qint64>>("timings");
        QTest::addColumn<bool>("fieldErrors");
        QTest::addColumn<qint64>("firstPosition");
        QTest::addColumn<PipelineNode>("stop");
        using L = QList<qint64>;
        QTest::newRow("accepted") << int(CommandOutcome::Accepted) << L{5, 6, 7, 8, 9} << false << qint64(3)
                                  << PipelineNode::EventBus;
        QTest::newRow("accepted, no events")
            << int(CommandOutcome::Accepted) << L{5, 6, 7, 1, 0} << false << qint64(0) << PipelineNode::Aggregate;
        QTest::newRow("rejected: fields")
            << int(CommandOutcome::Rejected) << L{5, 0, 0, 0, 0} << true << qint64(0) << PipelineNode::Validation;
        QTest::newRow("rejected: wrong stream type")
            << int(CommandOutcome::Rejected) << L{5, 6, 0, 0, 0} << false << qint64(0) << PipelineNode::Repository;
        QTest::newRow("rejected: decide with fields")
            << int(CommandOutcome::Rejected) << L{5, 6, 7, 0, 0} << true << qint64(0) << PipelineNode::Aggregate;
        QTest::newRow("conflict at append")
            << int(CommandOutcome::Conflict) << L{5, 6, 7, 8, 0} << false << qint64(0) << PipelineNode::EventStore;
        QTest::newRow("failed: unknown command")
            << int(CommandOutcome::Failed) << L{5, 0, 0, 0, 0} << false << qint64(0) << PipelineNode::Validation;
        QTest::newRow("failed: script error")
            << int(CommandOutcome::Failed) << L{5, 6, 7, 0, 0} << false << qint64(0) << PipelineNode::Aggregate;
        QTest::newRow("failed: nothing ran")
            << int(CommandOutcome::Failed) << L{0, 0, 0, 0, 0} << false << qint64(0) << PipelineNode::Command;
    }
    void stopStage()
    {
        QFETCH(int, outcome);
        QFETCH(QList<qint64>, timings);
        QFETCH(bool, fieldErrors);
        QFETCH(qint64, firstPosition);
        QFETCH(PipelineNode, stop);
        CommandRecord r;
        r.outcome = CommandOutcome(outcome);
        r.timings = {timings[0], timings[1], timings[2], timings[3], timings[4]};
        if (fieldErrors)
            r.fieldErrors.insert(u"amount"_s, u"too big"_s);
        r.firstPosition = firstPosition;
        QCOMPARE(PipelineTrace::stopStage(r), stop);
        const PipelineTrace t = PipelineTrace::fromRecord(r, {}, nullptr);
        QCOMPARE(t.stop().node, stop);
        for (const PipelineStep &s : t.steps)
            QCOMPARE(s.ran,
                     !(s.at.node == PipelineNode::Aggregate && stop == PipelineNode::EventStore && timings[2] == 0));
    }

    void traceTransferReactions()
    {
        auto s = open(u":memory:"_s);
        openAccount(s.get(), u"account-1"_s, 100);
        openAccount(s.get(), u"account-2"_s);
        auto loader = [&s](qint64 first, qint64 last) {
            EventQuery q;
            q.fromPosition = first;
            q.toPosition = last;
            q.limit = -1;
            auto events = s->store()->query(q);
            return events ? *events : EventList{};
        };
        const CommandResult r =
            run(s.get(), u"SendTransfer"_s, u"account-1"_s, {{u"to"_s, u"account-2"_s}, {u"amount"_s, 30}});
        QVERIFY(r.accepted());
        const QList<PipelineTrace> flows = PipelineTrace::flows(r, &s->domain()->info(), loader);
        QCOMPARE(flows.size(), 2);
        QCOMPARE(flows.at(0).reactionsReached(), QStringList{u"CreditTransfer"_s});
        QCOMPARE(flows.at(0).projectionsReached(), QStringList{u"Balances"_s});
        const PipelineTrace &credit = flows.at(1);
        QCOMPARE(credit.command, u"ReceiveTransfer"_s);
        QCOMPARE(credit.reaction, u"CreditTransfer"_s);
        QCOMPARE(credit.causationId, r.events.constFirst().eventId);
        QCOMPARE(credit.causationPosition, r.events.constFirst().position);
        QCOMPARE(credit.causationType, u"TransferSent"_s);
        const PipelineNodeRef creditNode{PipelineNode::Reaction, u"CreditTransfer"_s};
        QCOMPARE(credit.steps.constFirst().at, creditNode);
        QCOMPARE(credit.stop().node, PipelineNode::EventBus);
        QCOMPARE(credit.fanOut.constFirst().eventType, u"TransferReceived"_s);

        // A transfer to nowhere bounces and is refunded: a chain of two reactions.
        const CommandResult b =
            run(s.get(), u"SendTransfer"_s, u"account-1"_s, {{u"to"_s, u"account-9"_s}, {u"amount"_s, 5}});
        const QList<PipelineTrace> chain = PipelineTrace::flows(b, &s->domain()->info(), loader);
        QCOMPARE(chain.size(), 3);
        QCOMPARE(chain.at(1).fanOut.constFirst().eventType, u"TransferBounced"_s);
        QCOMPARE(chain.at(1).reactionsReached(), QStringList{u"RefundBouncedTransfer"_s});
        QCOMPARE(chain.at(2).command, u"RefundTransfer"_s);
        QCOMPARE(chain.at(2).causationType, u"TransferBounced"_s);
        QCOMPARE(chain.at(2).causationPosition, chain.at(1).fanOut.constFirst().position);
        // Without a loader the bounce's event is unknown: linked by id only.
        QCOMPARE(PipelineTrace::flows(b, &s->domain()->info()).at(2).causationPosition, 0);
    }

    // --- the view, driven offscreen with a real session ---

    void stepModeAdvancesStageByStage()
    {
        auto s = open(u":memory:"_s);
        PipelineView view;
        QAbstractItemModelTester tester(view.flowModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.setSession(s.get());
        view.resize(1200, 500);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.pause();
        QCOMPARE(view.currentStage(), QString());
        openAccount(s.get(), u"account-1"_s);
        QCOMPARE(view.currentStage(), u"client"_s);
        QCOMPARE(view.flowModel()->rowCount(), 1);
        QStringList seen{view.currentStage()};
        for (int i = 0; i < 8; ++i) {
            clickAction(view, u"step"_s);
            seen << view.currentStage();
        }
        QCOMPARE(seen, (writeSide() + QStringList{u"projection:Balances"_s, u"readStore"_s}));
        // Each stage shows its real time.
        QCOMPARE(view.diagram()->node(u"aggregate"_s)->badge().isEmpty(), false);
        QCOMPARE(view.diagram()->node(u"eventBus"_s)->mark(), PipelineNodeItem::Mark::Visited);
        QCOMPARE(view.diagram()->node(u"readStore"_s)->mark(), PipelineNodeItem::Mark::Active);
        clickAction(view, u"step"_s); // rests: the flow is over
        QVERIFY(view.player()->isFinished());
        QVERIFY(!view.findChild<QAction *>(u"step"_s)->isEnabled());
        QCOMPARE(view.currentStage(), u"readStore"_s);
        QVERIFY(!view.player()->isPlaying());
    }

    void rejectionEndsAtItsStage()
    {
        auto s = open(u":memory:"_s);
        openAccount(s.get(), u"account-1"_s, 10);
        PipelineView view;
        view.setSession(s.get());
        view.pause();
        QVERIFY(run(s.get(), u"Withdraw"_s, u"account-1"_s, {{u"amount"_s, 50}}).record.outcome ==
                CommandOutcome::Rejected);
        QCOMPARE(stepThrough(view), writeSide().mid(0, 5));
        view.step();
        QVERIFY(view.player()->isFinished());
        QCOMPARE(view.currentStage(), u"aggregate"_s);
        QCOMPARE(view.diagram()->node(u"aggregate"_s)->mark(), PipelineNodeItem::Mark::Stopped);
        QVERIFY(view.diagram()->stopText().contains(u"rejected at Aggregate"_s));
        QVERIFY(view.diagram()->stopText().contains(u"insufficient funds"_s));
        QCOMPARE(view.diagram()->node(u"eventStore"_s)->mark(), PipelineNodeItem::Mark::None);

        // A validation error stops at validation; a conflict at the event store.
        QVERIFY(!run(s.get(), u"OpenAccount"_s, u"account-2"_s, {{u"currency"_s, u"EUR"_s}}).accepted());
        QCOMPARE(stepThrough(view).constLast(), u"validation"_s);
        QVERIFY(view.diagram()->stopText().contains(u"owner"_s));
        QCOMPARE(view.diagram()->node(u"validation"_s)->mark(), PipelineNodeItem::Mark::Stopped);
        view.step();
        QCOMPARE(run(s.get(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 5}}, 0).record.outcome,
                 CommandOutcome::Conflict);
        QCOMPARE(stepThrough(view).constLast(), u"eventStore"_s);
        QVERIFY(view.diagram()->stopText().contains(u"conflict"_s));
        QCOMPARE(view.diagram()->node(u"aggregate"_s)->badge(), u"not run"_s);
        QCOMPARE(view.flowModel()->index(2, PipelineFlowModel::ResultColumn).data().toString(),
                 u"conflict at Event store"_s);
    }

    void transferStartsAReactionFlow()
    {
        auto s = open(u":memory:"_s);
        openAccount(s.get(), u"account-1"_s, 100);
        openAccount(s.get(), u"account-2"_s);
        PipelineView view;
        view.setSession(s.get());
        view.pause();
        const CommandResult r =
            run(s.get(), u"SendTransfer"_s, u"account-1"_s, {{u"to"_s, u"account-2"_s}, {u"amount"_s, 30}});
        QVERIFY(r.accepted());
        QCOMPARE(view.flowModel()->rowCount(), 2);
        QCOMPARE(view.player()->queued(), 1);
        const QStringList seen = stepThrough(view);
        QCOMPARE(seen.mid(0, 7), writeSide());
        QCOMPARE(view.currentNodes().size(), 1); // the read store, after the fan-out
        QCOMPARE(seen.at(7), u"projection:Balances"_s);
        // The step after the read store started the reaction's command, from the reaction's box.
        QCOMPARE(view.currentStage(), u"reaction:CreditTransfer"_s);
        QCOMPARE(view.player()->current()->trace.command, u"ReceiveTransfer"_s);
        const QString cause = u"#%1"_s.arg(r.events.constFirst().position);
        QVERIFY2(view.diagram()->bannerText().contains(u"caused by event "_s + cause),
                 qPrintable(view.diagram()->bannerText()));
        QCOMPARE(view.flowModel()->index(1, PipelineFlowModel::CauseColumn).data().toString(),
                 u"CreditTransfer on event "_s + cause);
        view.step();
        QCOMPARE(view.currentStage(), u"command"_s);
    }

    void fanOutReachesProjectionsAndReactions()
    {
        auto s = open(u":memory:"_s);
        openAccount(s.get(), u"account-1"_s, 100);
        openAccount(s.get(), u"account-2"_s);
        PipelineView view;
        view.setSession(s.get());
        view.pause();
        QVERIFY(
            run(s.get(), u"SendTransfer"_s, u"account-1"_s, {{u"to"_s, u"account-2"_s}, {u"amount"_s, 1}}).accepted());
        for (int i = 0; i < 7; ++i)
            view.step();
        const QList<PipelineNodeRef> fan = view.currentNodes();
        QCOMPARE(fan, (QList<PipelineNodeRef>{{PipelineNode::Projection, u"Balances"_s},
                                              {PipelineNode::Reaction, u"CreditTransfer"_s}}));
        QCOMPARE(view.diagram()->node(u"reaction:RefundBouncedTransfer"_s)->mark(), PipelineNodeItem::Mark::None);
    }

    void delayKnobEmits()
    {
        auto s = open(u":memory:"_s);
        PipelineView view;
        view.setSession(s.get());
        QSignalSpy spy(&view, &PipelineView::projectionDelayRequested);
        auto *spin = view.findChild<QSpinBox *>(u"delay:Balances"_s);
        QVERIFY(spin);
        QCOMPARE(spin->value(), 0);
        spin->setValue(1500);
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(0).toString(), u"Balances"_s);
        QCOMPARE(spy.at(0).at(1).toInt(), 1500);
        QCOMPARE(view.player()->projectionDelay(u"Balances"_s), 1500);
        // Typing: one request when the edit is done, not one per keystroke.
        spin->clear();
        spin->setFocus();
        QTest::keyClicks(spin, u"250"_s);
        QTest::keyClick(spin, Qt::Key_Enter);
        QCOMPARE(spy.count(), 2);
        QCOMPARE(spy.at(1).at(1).toInt(), 250);
        // The current value from the projection engine shows without a request.
        view.setProjectionDelay(u"Balances"_s, 700);
        QCOMPARE(spin->value(), 700);
        QCOMPARE(view.projectionDelay(u"Balances"_s), 700);
        QCOMPARE(spy.count(), 2);
    }

    void relayoutsOnPackChange()
    {
        auto s = open(u":memory:"_s);
        PipelineView view;
        view.setSession(s.get());
        QVERIFY(view.diagram()->nodeKeys().contains(u"reaction:CreditTransfer"_s));
        QVERIFY(s->loadPack(sourcePath(u"resources/domains/shop.js"_s)));
        QVERIFY(!view.diagram()->nodeKeys().contains(u"reaction:CreditTransfer"_s));
        for (const ProjectionSpec &p : s->domain()->info().projections) {
            QVERIFY(view.diagram()->nodeKeys().contains(u"projection:"_s + p.name));
            QVERIFY(view.findChild<QSpinBox *>(u"delay:"_s + p.name));
        }
        QVERIFY(!view.findChild<QSpinBox *>(u"delay:Balances"_s));
        view.setSession(nullptr);
        QCOMPARE(view.flowModel()->rowCount(), 0);
        QCOMPARE(view.diagram()->nodeKeys().contains(u"projection:Balances"_s), false);
    }

    // The shop's diagram in a short dock: labels stay readable (the canvas
    // scrolls), in a roomy one it fits; zoom goes from there.
    void diagramScalesToItsSpace()
    {
        auto s = open(u":memory:"_s);
        QVERIFY(s->loadPack(sourcePath(u"resources/domains/shop.js"_s)));
        PipelineView view;
        view.setSession(s.get());
        view.resize(900, 220);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QTRY_VERIFY(view.scale() >= 0.8);
        const QRectF content = view.diagram()->contentRect();
        QVERIFY(content.width() * view.scale() > view.canvas()->viewport()->width()); // so it scrolls
        view.resize(2400, 1400);
        QTRY_VERIFY(view.scale() > 1.0);
        const QSize inside = view.canvas()->maximumViewportSize();
        QVERIFY(content.width() * view.scale() <= inside.width() + 1);
        QVERIFY(content.height() * view.scale() <= inside.height() + 1);
        const double fitted = view.scale();
        view.setZoom(view.zoom() * 1.25);
        QVERIFY(view.scale() > fitted * 1.2);
        view.setZoom(1.0);
        QCOMPARE(view.scale(), fitted);
    }

    void clickRevealsFirstEvent()
    {
        auto s = open(u":memory:"_s);
        PipelineView view;
        view.setSession(s.get());
        view.resize(1200, 500);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        const CommandResult r =
            run(s.get(), u"OpenAccount"_s, u"account-1"_s, {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}});
        QSignalSpy spy(&view, &PipelineView::revealEventRequested);
        auto *table = view.findChild<QTableView *>(u"pipelineFlows"_s);
        QVERIFY(table);
        const QRect cell = table->visualRect(view.flowModel()->index(0, PipelineFlowModel::CommandColumn));
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell.center());
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(0).toLongLong(), r.record.firstPosition);
    }

    void playsByItselfOnlyWhenVisible()
    {
        auto s = open(u":memory:"_s);
        PipelineView view;
        view.setSession(s.get());
        view.play();
        view.setSpeed(8);
        QCOMPARE(view.speed(), 8.0);
        openAccount(s.get(), u"account-1"_s);
        QVERIFY(view.player()->isSuspended()); // never shown: nothing animates
        QTest::qWait(100);
        QCOMPARE(view.currentStage(), u"client"_s);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QVERIFY(!view.player()->isSuspended());
        QTRY_VERIFY_WITH_TIMEOUT(view.player()->isFinished(), 20000);
        QCOMPARE(view.currentStage(), u"readStore"_s);
        view.hide();
        QVERIFY(view.player()->isSuspended());
    }

    void otherProcessesFlowsAreCapped()
    {
        const QString path = m_dir.filePath(u"shared.db"_s);
        auto mine = open(path);
        auto other = open(path);
        QVERIFY(mine && other);
        PipelineView view;
        view.setSession(mine.get());
        view.pause();
        openAccount(other.get(), u"account-1"_s);
        QTRY_COMPARE(view.flowModel()->rowCount(), 1);
        QVERIFY(view.flowModel()->rowAt(0).external);
        QCOMPARE(view.flowModel()->rowAt(0).trace.command, u"OpenAccount"_s);
        QVERIFY(view.flowModel()->rowAt(0).trace.timings.decideUs > 0); // read from the command log
        QCOMPARE(view.currentStage(), u"client"_s);

        // A flood from elsewhere: a few queued, the rest counted as skipped.
        for (int i = 0; i < 20; ++i)
            QVERIFY(run(other.get(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 1}}).accepted());
        QTRY_COMPARE(view.player()->skipped() + view.player()->queued(), 20);
        QCOMPARE(view.player()->queued(), PipelinePlayer::MaxQueuedExternal);
        QVERIFY(view.findChild<QLabel *>(u"pipelineStatus"_s)->text().contains(u"+15 skipped"_s));

        // The trainer's own commands are never skipped, and not shown twice.
        for (int i = 0; i < 10; ++i)
            QVERIFY(run(mine.get(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 1}}).accepted());
        QCOMPARE(view.player()->queued(), PipelinePlayer::MaxQueuedExternal + 10);
        QTest::qWait(100);
        QCOMPARE(view.player()->skipped(), 15);
        QCOMPARE(view.flowModel()->rowCount(), 1 + 5 + 10);

        clickAction(view, u"clear"_s);
        QCOMPARE(view.flowModel()->rowCount(), 0);
        QCOMPARE(view.player()->queued(), 0);
        QCOMPARE(view.currentStage(), QString());
    }

    // Not a check: pictures of the view for people (ES_PIPELINE_SHOTS=DIR).
    void screenshots()
    {
        const QString dir = qEnvironmentVariable("ES_PIPELINE_SHOTS");
        if (dir.isEmpty())
            QSKIP("set ES_PIPELINE_SHOTS=DIR to save pictures of the view");
        auto s = open(u":memory:"_s);
        openAccount(s.get(), u"account-1"_s, 100);
        openAccount(s.get(), u"account-2"_s);
        PipelineView view;
        view.setSession(s.get());
        view.resize(1500, 560);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.pause();
        view.setSpeed(1);
        view.setProjectionDelay(u"Balances"_s, 500);
        QVERIFY(run(s.get(), u"Withdraw"_s, u"account-2"_s, {{u"amount"_s, 50}}).record.outcome ==
                CommandOutcome::Rejected);
        for (int i = 0; i < 4; ++i)
            view.step();
        QTest::qWait(1200);
        QVERIFY(view.grab().save(dir + u"/pipeline-rejected.png"_s));
        view.step();
        QVERIFY(
            run(s.get(), u"SendTransfer"_s, u"account-1"_s, {{u"to"_s, u"account-2"_s}, {u"amount"_s, 30}}).accepted());
        for (int i = 0; i < 7; ++i)
            view.step();
        QTest::qWait(1200);
        QVERIFY(view.grab().save(dir + u"/pipeline.png"_s));
    }
};

QTEST_MAIN(TestPipelineView)
#include "tst_pipelineview.moc"
