// The main window fits the screen it is on: at 1280×800 and 1600×1000, after
// the things a user does (console results, a projection error, a stream open in
// Time Travel, the As Of cursor, Reset Layout), the window stays within the
// screen's available area, no widget lies outside it, no two visible docks
// overlap, and the timeline keeps the centre.
//
// The screens come from the offscreen platform's configuration file: one
// process, two screens of the two sizes side by side; each row puts a new
// main window on one of them.

#include "asof/asofview.h"
#include "console/commandconsole.h"
#include "inspector/inspectorview.h"
#include "projections/projectionsview.h"
#include "session.h"
#include "sessionsupport.h"
#include "timeline/timelineview.h"
#include "timetravel/timetravelview.h"

#include "../app/gui/mainwindow.h"

#include <QAbstractButton>
#include <QAbstractScrollArea>
#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QStandardPaths>
#include <QTabBar>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

namespace {

QString readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

bool writeFile(const QString &path, const QString &text)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(text.toUtf8()) >= 0;
}

QString describe(const QWidget *w)
{
    QString name = QString::fromLatin1(w->metaObject()->className());
    if (!w->objectName().isEmpty())
        name += u'#' + w->objectName();
    return name;
}

QString rectText(const QRect &r)
{
    return u"%1×%2%3%4%5%6"_s.arg(r.width())
        .arg(r.height())
        .arg(r.x() >= 0 ? u"+"_s : QString())
        .arg(r.x())
        .arg(r.y() >= 0 ? u"+"_s : QString())
        .arg(r.y());
}

// Content inside a scroll area's viewport may lie outside it: that is what scrolling is.
bool insideScrolledContent(const QWidget *w, const QWidget *top)
{
    for (const QWidget *p = w->parentWidget(); p && p != top; p = p->parentWidget())
        if (auto *area = qobject_cast<const QAbstractScrollArea *>(p->parentWidget()); area && area->viewport() == p)
            return true;
    return false;
}

} // namespace

#define CHECK_FIT()                                                                                                    \
    do {                                                                                                               \
        maybeGrab(w, QTest::currentDataTag());                                                                         \
        const QStringList found_ = problems(w, timelineHalf);                                                          \
        QVERIFY2(found_.isEmpty(), qPrintable(found_.join(u"\n"_s)));                                                  \
    } while (false)

class TestWindowFit : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_pack;
    int m_count = 0;
    int m_shot = 0;

    static QScreen *screenOfSize(const QSize &size)
    {
        const auto screens = QGuiApplication::screens();
        for (QScreen *s : screens)
            if (s->geometry().size() == size)
                return s;
        return nullptr;
    }

    // ES_SCREENSHOT_DIR: a picture of the window at each check, to look at.
    void maybeGrab(QWidget &w, const char *tag)
    {
        const QString dir = qEnvironmentVariable("ES_SCREENSHOT_DIR");
        if (!dir.isEmpty())
            w.grab().save(u"%1/fit-%2-%3.png"_s.arg(dir, QString::fromLatin1(tag)).arg(++m_shot, 2, 10, QLatin1Char('0')));
    }

    static void settle()
    {
        for (int i = 0; i < 5; ++i) {
            QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
            QCoreApplication::processEvents();
        }
    }

    // Docks behind another dock's tab: QMainWindow parks them outside the window.
    static QSet<const QWidget *> dockedBehindTabs(MainWindow &w)
    {
        QSet<const QWidget *> out;
        const auto bars = w.findChildren<QTabBar *>(Qt::FindDirectChildrenOnly);
        for (QTabBar *bar : bars)
            for (int i = 0; i < bar->count(); ++i)
                if (i != bar->currentIndex())
                    out << reinterpret_cast<const QWidget *>(bar->tabData(i).value<quintptr>());
        return out;
    }

    // Everything wrong with the window's geometry, one line each.
    static QStringList problems(MainWindow &w, bool timelineHalf)
    {
        QStringList out;
        const QSet<const QWidget *> parked = dockedBehindTabs(w);
        auto isParked = [&parked](const QWidget *c) {
            for (; c; c = c->parentWidget())
                if (parked.contains(c))
                    return true;
            return false;
        };
        const QRect avail = w.screen()->availableGeometry();
        if (!avail.contains(w.frameGeometry()))
            out << u"window %1 is not within the screen's available area %2"_s.arg(rectText(w.frameGeometry()),
                                                                                    rectText(avail));
        const QSize minimum = w.minimumSizeHint().expandedTo(w.minimumSize());
        if (minimum.width() > avail.width() || minimum.height() > avail.height())
            out << u"the window's minimum size %1×%2 exceeds the screen %3×%4"_s.arg(minimum.width())
                       .arg(minimum.height())
                       .arg(avail.width())
                       .arg(avail.height());
        const QRect inside = w.rect();
        const auto widgets = w.findChildren<QWidget *>();
        for (QWidget *c : widgets) {
            if (!c->isVisible() || c->isWindow() || insideScrolledContent(c, &w) || isParked(c))
                continue;
            const QRect r(c->mapTo(&w, QPoint(0, 0)), c->size());
            if (!inside.contains(r))
                out << u"%1 at %2 lies outside the window %3"_s.arg(describe(c), rectText(r), rectText(inside));
        }
        QList<QDockWidget *> docks;
        for (QDockWidget *d : w.findChildren<QDockWidget *>())
            if (d->isVisible() && !d->isFloating() && !parked.contains(d))
                docks << d;
        for (qsizetype i = 0; i < docks.size(); ++i)
            for (qsizetype j = i + 1; j < docks.size(); ++j)
                if (docks[i]->geometry().intersects(docks[j]->geometry()))
                    out << u"docks %1 %2 and %3 %4 overlap"_s.arg(docks[i]->objectName(),
                                                                  rectText(docks[i]->geometry()),
                                                                  docks[j]->objectName(),
                                                                  rectText(docks[j]->geometry()));
        // A dock's view fits its width (long lines elide or wrap); only its height may scroll.
        for (QDockWidget *d : docks)
            if (auto *area = qobject_cast<QAbstractScrollArea *>(d->widget());
                area && area->horizontalScrollBar()->isVisible())
                out << u"dock %1 scrolls sideways: its view asks %2 px, the dock has %3"_s.arg(d->objectName())
                           .arg(area->viewport()->childrenRect().width() > 0
                                    ? static_cast<QScrollArea *>(area)->widget()->minimumSizeHint().width()
                                    : 0)
                           .arg(area->viewport()->width());
        QWidget *centre = w.centralWidget();
        for (QDockWidget *d : docks)
            if (d->geometry().intersects(centre->geometry()))
                out << u"dock %1 covers the timeline"_s.arg(d->objectName());
        if (!out.isEmpty()) {
            // What asks for the room: the minimum sizes of the docks and of the timeline.
            QStringList asks;
            for (QDockWidget *d : w.findChildren<QDockWidget *>())
                if (!d->isHidden())
                    asks << u"%1 %2×%3"_s.arg(d->objectName()).arg(d->minimumSizeHint().width()).arg(d->minimumSizeHint().height());
            asks << u"timeline %1×%2"_s.arg(centre->minimumSizeHint().width()).arg(centre->minimumSizeHint().height());
            out << u"minimum sizes: "_s + asks.join(u", "_s);
            if (qEnvironmentVariableIsSet("ES_FIT_DEBUG"))
                for (QWidget *c : widgets)
                    if (c->isVisible() && !isParked(c) && (c->minimumSizeHint().width() > qEnvironmentVariableIntValue("ES_FIT_DEBUG") || c->minimumSizeHint().height() > 150))
                        out << u"  %1 (%2) min %3×%4"_s.arg(describe(c), describe(c->parentWidget())).arg(c->minimumSizeHint().width()).arg(c->minimumSizeHint().height());
        }
        if (timelineHalf && centre->width() * 2 < w.width())
            out << u"the timeline has %1 of %2 px"_s.arg(centre->width()).arg(w.width());
        return out;
    }

    static QDockWidget *dockOf(QWidget *view)
    {
        for (QWidget *p = view->parentWidget(); p; p = p->parentWidget())
            if (auto *d = qobject_cast<QDockWidget *>(p))
                return d;
        return nullptr;
    }

    static QAction *menuAction(MainWindow &w, const QString &menu, const QString &text)
    {
        for (QAction *m : w.menuBar()->actions()) {
            if (m->text().remove(u'&') != menu || !m->menu())
                continue;
            for (QAction *a : m->menu()->actions())
                if (a->text().remove(u'&').startsWith(text))
                    return a;
        }
        return nullptr;
    }

    static void fillAndSend(MainWindow &w, const QString &command, const QString &stream,
                            const QList<QPair<QString, QString>> &fields)
    {
        es::CommandConsole *console = w.console();
        auto *commands = console->findChild<QComboBox *>(u"commandCombo"_s);
        QVERIFY(commands);
        commands->setCurrentIndex(commands->findText(command, Qt::MatchContains));
        auto *streamEdit = console->findChild<QLineEdit *>(u"streamEdit"_s);
        QVERIFY(streamEdit);
        streamEdit->setText(stream);
        for (const auto &[name, value] : fields) {
            QWidget *editor = console->findChild<QWidget *>(u"field:"_s + name);
            QVERIFY2(editor, qPrintable(name));
            if (auto *combo = qobject_cast<QComboBox *>(editor))
                combo->setCurrentIndex(combo->findText(value));
            else if (auto *line = qobject_cast<QLineEdit *>(editor))
                line->setText(value);
        }
        auto *send = console->findChild<QAbstractButton *>(u"sendButton"_s);
        QVERIFY(send && send->isEnabled());
        send->click();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        qputenv("EVENTSCOPE_NO_DIALOGS", "1");
        QVERIFY(screenOfSize({1280, 800}));
        QVERIFY(screenOfSize({1600, 1000}));
        // A pack whose balances projection stops on a deposit of 13, with a long message.
        QString source = readFile(bankPack());
        const QString handler = u"MoneyDeposited(row, event) { return withBalance(row, event); },"_s;
        QVERIFY(source.contains(handler));
        source.replace(handler, u"MoneyDeposited(row, event) { if (event.data.amount === 13) throw new Error("
                                "\"unlucky amount: this projection refuses deposits of thirteen, and says so in a "
                                "message long enough to need several lines in any panel that shows it\"); "
                                "return withBalance(row, event); },"_s);
        m_pack = m_dir.filePath(u"poison.js"_s);
        QVERIFY(writeFile(m_pack, source));
    }

    void init()
    {
        // Every row starts from no saved window state.
        QSettings().clear();
    }

    void windowFitsTheScreen_data()
    {
        QTest::addColumn<QSize>("screen");
        QTest::addColumn<bool>("timelineHalf");
        QTest::newRow("1280x800") << QSize(1280, 800) << false;
        QTest::newRow("1600x1000") << QSize(1600, 1000) << true;
    }

    void windowFitsTheScreen()
    {
        QFETCH(QSize, screen);
        QFETCH(bool, timelineHalf);
        QScreen *target = screenOfSize(screen);
        QVERIFY(target);

        MainWindow w;
        w.setScreen(target);
        w.move(target->availableGeometry().topLeft());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.screen(), target);
        QVERIFY2(w.openStore(m_dir.filePath(u"fit-%1.db"_s.arg(++m_count)), false, true, m_pack),
                 qPrintable(w.lastError()));
        es::Session *s = w.session();
        for (int i = 1; i <= 3; ++i)
            QVERIFY(runCommand(s, u"OpenAccount"_s, u"account-%1"_s.arg(i),
                               {{u"owner"_s, u"Owner %1"_s.arg(i)}, {u"currency"_s, u"EUR"_s}})
                        .accepted());
        QVERIFY(runCommand(s, u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 50}}).accepted());
        settle();
        CHECK_FIT();

        // Console results: an accepted command, then a rejection with its reason.
        fillAndSend(w, u"Deposit"_s, u"account-2"_s, {{u"amount"_s, u"25"_s}});
        fillAndSend(w, u"Withdraw"_s, u"account-3"_s, {{u"amount"_s, u"1000000"_s}});
        settle();
        CHECK_FIT();

        // A full-text search: hits marked and counted.
        w.timeline()->findChild<QLineEdit *>(u"searchFilter"_s)->setText(u"owner"_s);
        QMetaObject::invokeMethod(w.timeline()->findChild<QLineEdit *>(u"searchFilter"_s), "returnPressed");
        auto *timelineStatus = w.timeline()->findChild<QLabel *>(u"timelineStatus"_s);
        QVERIFY(timelineStatus);
        QTRY_VERIFY2(timelineStatus->text().contains(u"3 hits"_s), qPrintable(timelineStatus->text()));
        settle();
        CHECK_FIT();
        w.timeline()->clearFilters();

        // A projection error shown in the Projections view.
        QVERIFY(runCommand(s, u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 13}}).accepted());
        w.showDockOf(w.projectionsView());
        w.projectionsView()->selectProjection(u"Balances"_s);
        auto *errorPanel = w.projectionsView()->findChild<QWidget *>(u"errorPanel"_s);
        QVERIFY(errorPanel);
        QTRY_VERIFY_WITH_TIMEOUT(errorPanel->isVisible(), 10000);
        settle();
        CHECK_FIT();

        // A stream open in Time Travel.
        w.timeTravel()->showReplay(u"account-1"_s, 1);
        w.showDockOf(w.timeTravel());
        QTRY_COMPARE(w.timeTravel()->stream(), u"account-1"_s);
        settle();
        CHECK_FIT();

        // The As Of cursor set: the historical banner with its Back to Live.
        w.asOf()->setAsOfPosition(2);
        w.showDockOf(w.asOf());
        QTRY_VERIFY(w.asOf()->isHistorical());
        settle();
        CHECK_FIT();

        // Reset Layout gives the default layout again, on this screen.
        QAction *reset = menuAction(w, u"View"_s, u"Reset Layout"_s);
        QVERIFY(reset);
        reset->trigger();
        settle();
        CHECK_FIT();
        // Each dock in turn, raised in its place: it fits.
        const auto allDocks = w.findChildren<QDockWidget *>();
        QStringList found;
        for (QDockWidget *d : allDocks) {
            d->show();
            d->raise();
            settle();
            for (const QString &p : problems(w, timelineHalf))
                found << d->objectName() + u" raised: "_s + p;
        }
        QVERIFY2(found.isEmpty(), qPrintable(found.join(u"\n"_s)));
        reset->trigger();
        settle();

        // The default layout shows the console, the inspector and the command log beside the timeline.
        for (QWidget *view : {static_cast<QWidget *>(w.console()), static_cast<QWidget *>(w.inspector())}) {
            QDockWidget *d = dockOf(view);
            QVERIFY(d);
            QVERIFY2(d->isVisible(), qPrintable(d->objectName()));
        }
    }
};

int main(int argc, char **argv)
{
    // Two offscreen screens of the sizes under test, side by side.
    QTemporaryDir configDir;
    const QString config = configDir.filePath(u"screens.json"_s);
    {
        QFile f(config);
        if (!f.open(QIODevice::WriteOnly))
            return 2;
        f.write(R"({"screens": [
            {"name": "small", "x": 0, "y": 0, "width": 1280, "height": 800, "logicalDpi": 96},
            {"name": "large", "x": 1280, "y": 0, "width": 1600, "height": 1000, "logicalDpi": 96}
        ]})");
    }
    qputenv("QT_QPA_PLATFORM", "offscreen:configfile=" + config.toLocal8Bit());
    QApplication app(argc, argv);
    QApplication::setOrganizationName(u"Eventscope"_s);
    QApplication::setApplicationName(u"EventscopeWindowFitTest"_s);
    TestWindowFit test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_windowfit.moc"
