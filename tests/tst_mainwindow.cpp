#include "commandpipeline.h"
#include "eventstore.h"
#include "jsdomain.h"
#include "testsupport.h"

#include "../app/gui/mainwindow.h"

#include <QFile>
#include <QLabel>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

class TestMainWindow : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static QStringList statusTexts(MainWindow &w)
    {
        QStringList out;
        const auto labels = w.statusBar()->findChildren<QLabel *>();
        for (QLabel *l : labels)
            out << l->text();
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        qputenv("EVENTSCOPE_NO_DIALOGS", "1");
    }

    void opensAStoreAndShowsItsHead()
    {
        const QString path = m_dir.filePath(u"gui.db"_s);
        {
            auto store = es::EventStore::open(path, es::EventStore::Mode::Create);
            QVERIFY(store);
            for (int i = 0; i < 3; ++i) {
                es::AppendRequest r;
                r.stream = u"s-%1"_s.arg(i);
                r.streamType = u"Thing"_s;
                r.events = {es::NewEvent{{}, u"Happened"_s, {{u"i"_s, i}}, {}, 1, 0}};
                QVERIFY((*store)->append(r));
            }
        }
        MainWindow w;
        w.show();
        QVERIFY(w.openStore(path, false));
        QVERIFY(statusTexts(w).contains(u"head 3"_s));
        auto *table = w.findChild<QTableWidget *>();
        QVERIFY(table);
        QCOMPARE(table->rowCount(), 3);

        // Live: an append through the open store shows up at once.
        es::AppendRequest r;
        r.stream = u"s-9"_s;
        r.streamType = u"Thing"_s;
        r.events = {es::NewEvent{{}, u"Happened"_s, {}, {}, 1, 0}};
        QVERIFY(w.store()->append(r));
        QTRY_VERIFY(statusTexts(w).contains(u"head 4"_s));
        QCOMPARE(table->rowCount(), 4);
        QCOMPARE(table->item(0, 0)->text(), u"4"_s);
    }

    void aForeignFileIsRefusedAndTheCurrentStoreStays()
    {
        const QString good = m_dir.filePath(u"good.db"_s);
        QVERIFY(es::EventStore::open(good, es::EventStore::Mode::Create));
        const QString bad = m_dir.filePath(u"bad.db"_s);
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is not a database");
        f.close();

        MainWindow w;
        QVERIFY(w.openStore(good, false));
        QVERIFY(!w.openStore(bad, false));
        QVERIFY2(w.lastError().contains(u"not an Eventscope store"_s), qPrintable(w.lastError()));
        QCOMPARE(w.store()->path(), good);
    }

    void readOnlyIsShown()
    {
        const QString path = m_dir.filePath(u"ro.db"_s);
        QVERIFY(es::EventStore::open(path, es::EventStore::Mode::Create));
        MainWindow w;
        QVERIFY(w.openStore(path, true));
        QVERIFY(w.store()->isReadOnly());
        QVERIFY(statusTexts(w).contains(u"READ-ONLY"_s));
    }

    void demoStoreHasAHistory()
    {
        MainWindow w;
        QVERIFY2(w.openDemoStore(), qPrintable(w.lastError()));
        QVERIFY(w.store()->headPosition() > 5);
        QVERIFY(w.store()->verify()->intact);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
