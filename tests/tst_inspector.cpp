#include "common/jsontreemodel.h"
#include "common/jsontreewidget.h"
#include "inspector/causaltree.h"
#include "inspector/inspectorview.h"
#include "session.h"
#include "testsupport.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QClipboard>
#include <QFile>
#include <QGuiApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace Qt::StringLiterals;
using namespace es;

class TestInspector : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static std::unique_ptr<Session> open(const QString &path, bool readOnly = false, const QString &pack = bankPack())
    {
        Session::Options o;
        o.storePath = path;
        o.packPath = pack;
        o.create = !readOnly;
        o.readOnly = readOnly;
        auto s = Session::open(o);
        if (!s)
            qWarning() << s.error().message;
        return s ? std::move(*s) : nullptr;
    }

    static CommandResult run(Session *s, const QString &type, const QString &stream, const QJsonObject &payload)
    {
        Command c;
        c.type = type;
        c.stream = stream;
        c.payload = payload;
        c.metadata.insert(meta::Actor, u"tester"_s);
        return s->execute(c);
    }

    // account-a: opened (1), deposit 100 (2); account-b opened (3); transfer 30 a → b (4, 5).
    static void fill(Session *s)
    {
        QVERIFY(run(s, u"OpenAccount"_s, u"account-a"_s, {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}})
                    .accepted());
        QVERIFY(run(s, u"Deposit"_s, u"account-a"_s, {{u"amount"_s, 100}}).accepted());
        QVERIFY(run(s, u"OpenAccount"_s, u"account-b"_s, {{u"owner"_s, u"Bob"_s}, {u"currency"_s, u"EUR"_s}})
                    .accepted());
        const CommandResult t =
            run(s, u"SendTransfer"_s, u"account-a"_s, {{u"to"_s, u"account-b"_s}, {u"amount"_s, 30}});
        QVERIFY(t.accepted());
        QCOMPARE(t.reactions.size(), 1);
    }

    static RecordedEvent at(Session *s, qint64 position)
    {
        auto e = s->store()->readForward(position, 1);
        return e && !e->isEmpty() ? e->constFirst() : RecordedEvent();
    }

    static QStringList treeLines(QTreeWidgetItem *item, int depth = 0)
    {
        QStringList out{QString(depth * 2, u' ') + item->text(0)};
        for (int i = 0; i < item->childCount(); ++i)
            out += treeLines(item->child(i), depth + 1);
        return out;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void jsonTreeModel()
    {
        JsonTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QJsonObject before{{u"balance"_s, 10}, {u"owner"_s, u"Ann"_s}, {u"gone"_s, true},
                                 {u"items"_s, QJsonArray{1, 2}}};
        const QJsonObject after{{u"balance"_s, 25}, {u"owner"_s, u"Ann"_s}, {u"odd key"_s, u"x"_s},
                                {u"items"_s, QJsonArray{1, 3, 4}}};
        model.setJson(after, before);
        QCOMPARE(model.rowCount(), 5); // four keys, and the removed one kept
        QCOMPARE(model.changeOf(model.indexOfPath(u"balance"_s)), JsonTreeModel::Change::Changed);
        QCOMPARE(model.changeOf(model.indexOfPath(u"owner"_s)), JsonTreeModel::Change::None);
        QCOMPARE(model.changeOf(model.indexOfPath(u"gone"_s)), JsonTreeModel::Change::Removed);
        QCOMPARE(model.changeOf(model.indexOfPath(u"[\"odd key\"]"_s)), JsonTreeModel::Change::Added);
        QCOMPARE(model.changeOf(model.indexOfPath(u"items[1]"_s)), JsonTreeModel::Change::Changed);
        QCOMPARE(model.changeOf(model.indexOfPath(u"items[2]"_s)), JsonTreeModel::Change::Added);
        QStringList changed = model.changedPaths();
        changed.sort();
        QCOMPARE(changed, (QStringList{u"[\"odd key\"]"_s, u"balance"_s, u"gone"_s, u"items[1]"_s, u"items[2]"_s}));
        // Strings read as JSON strings, containers summarised.
        QCOMPARE(model.indexOfPath(u"owner"_s).siblingAtColumn(1).data().toString(), u"\"Ann\""_s);
        QCOMPARE(model.indexOfPath(u"items"_s).siblingAtColumn(1).data().toString(), u"[3 items]"_s);

        model.setSections({{u"data"_s, QJsonObject{{u"a"_s, QJsonObject{{u"b"_s, 1}}}}}, {u"meta"_s, 1}});
        QCOMPARE(model.index(0, 0).data().toString(), u"data"_s); // in the given order
        QCOMPARE(model.pathOf(model.indexOfPath(u"data.a.b"_s)), u"data.a.b"_s);
        model.clear();
        QCOMPARE(model.rowCount(), 0);
    }

    void jsonTreeCopyValueAndPath()
    {
        JsonTreeWidget tree;
        tree.setSections({{u"data"_s, QJsonObject{{u"owner"_s, u"Ann"_s}, {u"items"_s, QJsonArray{1, 2}}}}});
        tree.show();
        QVERIFY(QTest::qWaitForWindowActive(&tree));
        tree.setFocus();
        tree.setCurrentIndex(tree.jsonModel()->indexOfPath(u"data.owner"_s));
        QTest::keyClick(&tree, Qt::Key_C, Qt::ControlModifier);
        QCOMPARE(QGuiApplication::clipboard()->text(), u"Ann"_s); // no quotes
        QTest::keyClick(&tree, Qt::Key_C, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(QGuiApplication::clipboard()->text(), u"data.owner"_s);
        // From the context menu's actions too; a container copies as JSON.
        QVERIFY(tree.actions().contains(tree.copyValueAction()));
        tree.setCurrentIndex(tree.jsonModel()->indexOfPath(u"data.items"_s));
        tree.copyValueAction()->trigger();
        QCOMPARE(QJsonDocument::fromJson(QGuiApplication::clipboard()->text().toUtf8()).array(), (QJsonArray{1, 2}));
        tree.copyPathAction()->trigger();
        QCOMPARE(QGuiApplication::clipboard()->text(), u"data.items"_s);
    }

    void showsDataMetadataAndVerifiedHash()
    {
        auto session = open(m_dir.filePath(u"inspect.db"_s));
        QVERIFY(session);
        fill(session.get());
        InspectorView view;
        view.setSession(session.get());
        view.showEvent(at(session.get(), 2));
        QVERIFY(view.hasEvent());
        auto *tree = view.findChild<JsonTreeWidget *>(u"eventTree"_s);
        QVERIFY(tree);
        const QModelIndex amount = tree->jsonModel()->indexOfPath(u"data.amount"_s);
        QVERIFY(amount.isValid());
        QCOMPARE(amount.siblingAtColumn(1).data().toString(), u"100"_s);
        QCOMPARE(tree->jsonModel()->valueOf(tree->jsonModel()->indexOfPath(u"metadata.actor"_s)).toString(),
                 u"tester"_s);
        QVERIFY(tree->jsonModel()->indexOfPath(u"event.eventId"_s).isValid());
        QVERIFY(view.findChild<QLabel *>(u"inspectorTitle"_s)->text().contains(u"MoneyDeposited"_s));
        QCOMPARE(view.hashStatus(), InspectorView::HashStatus::Verified);
        QVERIFY(view.findChild<QLabel *>(u"hashLabel"_s)->text().contains(u"hash verified"_s));
        // The first event chains to nothing, and verifies too.
        view.showEvent(at(session.get(), 1));
        QCOMPARE(view.hashStatus(), InspectorView::HashStatus::Verified);
    }

    void tamperedEventIsAMismatch()
    {
        const QString original = m_dir.filePath(u"honest.db"_s);
        const QString copy = m_dir.filePath(u"tampered.db"_s);
        {
            auto session = open(original);
            QVERIFY(session);
            fill(session.get());
        } // closed: the WAL is checkpointed into the file
        QVERIFY(QFile::copy(original, copy));
        {
            auto db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"tamper"_s);
            db.setDatabaseName(copy);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY2(q.exec(u"DROP TRIGGER events_append_only_update"_s), qPrintable(q.lastError().text()));
            QVERIFY2(q.exec(u"UPDATE events SET data = '{\"amount\":1000,\"balance\":1000}' WHERE position = 2"_s),
                     qPrintable(q.lastError().text()));
            q.finish();
            db.close();
        }
        QSqlDatabase::removeDatabase(u"tamper"_s);

        auto session = open(copy, true);
        QVERIFY(session);
        InspectorView view;
        view.setSession(session.get());
        // Even when handed the event as it was, the inspector checks what the store holds.
        view.showEvent(at(session.get(), 2));
        QCOMPARE(view.hashStatus(), InspectorView::HashStatus::Mismatch);
        const QString text = view.findChild<QLabel *>(u"hashLabel"_s)->text();
        QVERIFY2(text.contains(u"MISMATCH"_s), qPrintable(text));
        QCOMPARE(view.findChild<JsonTreeWidget *>(u"eventTree"_s)
                     ->jsonModel()
                     ->valueOf(view.findChild<JsonTreeWidget *>(u"eventTree"_s)->jsonModel()->indexOfPath(
                         u"data.amount"_s))
                     .toInt(),
                 1000);
        // Its neighbours are untouched.
        view.showEvent(at(session.get(), 1));
        QCOMPARE(view.hashStatus(), InspectorView::HashStatus::Verified);
    }

    void stateBeforeAndAfter()
    {
        auto session = open(u":memory:"_s);
        fill(session.get());
        InspectorView view;
        view.setSession(session.get());
        view.showEvent(at(session.get(), 2)); // MoneyDeposited 100
        view.setCurrentTab(InspectorView::StateTab);
        auto *after = view.findChild<JsonTreeWidget *>(u"stateAfter"_s);
        auto *before = view.findChild<JsonTreeWidget *>(u"stateBefore"_s);
        QCOMPARE(after->jsonModel()->valueOf(after->jsonModel()->indexOfPath(u"balance"_s)).toDouble(), 100.0);
        QCOMPARE(before->jsonModel()->valueOf(before->jsonModel()->indexOfPath(u"balance"_s)).toDouble(), 0.0);
        QCOMPARE(after->jsonModel()->changedPaths(), QStringList{u"balance"_s});
        QVERIFY(view.findChild<QLabel *>(u"stateSummary"_s)->text().contains(u"balance"_s));

        // Following the selection: the opening changed three keys.
        view.showEvent(at(session.get(), 1));
        QStringList changed = after->jsonModel()->changedPaths();
        changed.sort();
        QCOMPARE(changed, (QStringList{u"currency"_s, u"open"_s, u"owner"_s}));
    }

    void stateNeedsAPack()
    {
        const QString path = m_dir.filePath(u"nopack.db"_s);
        {
            auto s = open(path);
            fill(s.get());
        }
        auto session = open(path, true, QString());
        QVERIFY(session && !session->domain());
        InspectorView view;
        view.setSession(session.get());
        view.showEvent(at(session.get(), 2));
        view.setCurrentTab(InspectorView::StateTab);
        QVERIFY(view.findChild<QLabel *>(u"stateSummary"_s)->text().contains(u"Load a domain pack"_s));
        QCOMPARE(view.hashStatus(), InspectorView::HashStatus::Verified); // no pack needed for that
    }

    void correlationTreeOfATransfer()
    {
        auto session = open(u":memory:"_s);
        fill(session.get());
        const RecordedEvent received = at(session.get(), 5);
        QCOMPARE(received.type, u"TransferReceived"_s);
        InspectorView view;
        view.setSession(session.get());
        QSignalSpy requested(&view, &InspectorView::showCorrelationRequested);
        QSignalSpy reveal(&view, &InspectorView::revealEventRequested);
        view.showEvent(received);
        QTest::mouseClick(view.findChild<QPushButton *>(u"showCorrelationButton"_s), Qt::LeftButton);
        QCOMPARE(requested.count(), 1);
        QCOMPARE(requested.at(0).at(0).toString(), received.metadataObject().value(meta::CorrelationId).toString());
        QCOMPARE(view.findChild<QTabWidget *>(u"inspectorTabs"_s)->currentIndex(), int(InspectorView::CorrelationTab));

        auto *tree = view.findChild<QTreeWidget *>(u"correlationTree"_s);
        QCOMPARE(tree->topLevelItemCount(), 1);
        const QStringList lines = treeLines(tree->topLevelItem(0));
        QCOMPARE(lines, (QStringList{u"⌘ SendTransfer"_s, u"  ● TransferSent"_s, u"    ⌘ ReceiveTransfer"_s,
                                     u"      ● TransferReceived"_s}));
        QVERIFY(view.findChild<QLabel *>(u"correlationSummary"_s)->text().contains(u"2 commands, 2 events"_s));
        // The inspected event is the current item; activating an event reveals it.
        QTreeWidgetItem *current = tree->currentItem();
        QVERIFY(current);
        QCOMPARE(current->text(0), u"● TransferReceived"_s);
        Q_EMIT tree->itemActivated(current, 0);
        QCOMPARE(reveal.count(), 1);
        QCOMPARE(reveal.at(0).at(0).toLongLong(), 5);
    }

    void causalTreeWithoutLogRows()
    {
        // Events whose command has no log row (an imported history) still hang together.
        RecordedEvent first;
        first.position = 1;
        first.eventId = u"e1"_s;
        first.type = u"TransferSent"_s;
        first.metadata = R"({"commandId":"c1","correlationId":"c1","causationId":"c1"})";
        RecordedEvent second;
        second.position = 2;
        second.eventId = u"e2"_s;
        second.type = u"TransferReceived"_s;
        second.metadata = R"({"commandId":"c2","correlationId":"c1","causationId":"e1"})";
        const CausalTree tree = CausalTree::build({}, {second, first});
        QCOMPARE(tree.roots.size(), std::size_t(1));
        const CausalNode &c1 = tree.roots.front();
        QCOMPARE(c1.command.commandId, u"c1"_s);
        QVERIFY(!c1.inLog);
        QCOMPARE(c1.children.size(), std::size_t(1));
        QCOMPARE(c1.children.front().event.eventId, u"e1"_s);
        QCOMPARE(c1.children.front().children.front().command.commandId, u"c2"_s);
        QCOMPARE(c1.children.front().children.front().children.front().event.eventId, u"e2"_s);
        QCOMPARE(tree.commandCount, 2);
        QCOMPARE(tree.eventCount, 2);
    }

    void navigationRequests()
    {
        auto session = open(u":memory:"_s);
        fill(session.get());
        InspectorView view;
        QVERIFY(!view.findChild<QPushButton *>(u"showStreamButton"_s)->isEnabled()); // nothing shown yet
        view.setSession(session.get());
        QSignalSpy stream(&view, &InspectorView::showStreamRequested);
        QSignalSpy replay(&view, &InspectorView::replayRequested);
        QSignalSpy reveal(&view, &InspectorView::revealEventRequested);
        view.showEvent(at(session.get(), 2));
        QTest::mouseClick(view.findChild<QPushButton *>(u"showStreamButton"_s), Qt::LeftButton);
        QTest::mouseClick(view.findChild<QPushButton *>(u"replayButton"_s), Qt::LeftButton);
        QTest::mouseClick(view.findChild<QPushButton *>(u"revealButton"_s), Qt::LeftButton);
        QCOMPARE(stream.count(), 1);
        QCOMPARE(stream.at(0).at(0).toString(), u"account-a"_s);
        QCOMPARE(replay.count(), 1);
        QCOMPARE(replay.at(0).at(0).toString(), u"account-a"_s);
        QCOMPARE(replay.at(0).at(1).toLongLong(), 2);
        QCOMPARE(reveal.at(0).at(0).toLongLong(), 2);
        // Another store: the inspector forgets the event.
        view.setSession(nullptr);
        QVERIFY(!view.hasEvent());
    }
};

QTEST_MAIN(TestInspector)
#include "tst_inspector.moc"
