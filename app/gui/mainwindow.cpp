#include "mainwindow.h"

#include "asof/asofview.h"
#include "commandlog/commandlogview.h"
#include "common/storebanner.h"
#include "common/teardown.h"
#include "compare/domaincompareview.h"
#include "connect/connectdialog.h"
#include "console/commandconsole.h"
#include "demo.h"
#include "inspector/inspectorview.h"
#include "pipeline/pipelineview.h"
#include "projectionhost.h"
#include "projections/projectionsview.h"
#include "session.h"
#include "settings.h"
#include "storeaddress.h"
#include "streams/streamsview.h"
#include "timeline/timelineview.h"
#include "timetravel/timetravelview.h"
#include "whatif/whatifview.h"
#include "windowfit.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTimer>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace {

QString samplePackPath(const QString &name)
{
    // Installed next to the sources in a build tree; the bank pack is also built in.
    const QStringList candidates = {
        QCoreApplication::applicationDirPath() + u"/../../resources/domains/"_s + name + u".js"_s,
        QCoreApplication::applicationDirPath() + u"/../resources/domains/"_s + name + u".js"_s,
        QDir::currentPath() + u"/resources/domains/"_s + name + u".js"_s,
    };
    for (const QString &c : candidates)
        if (QFile::exists(c))
            return QDir::cleanPath(c);
    return name == u"bank"_s ? u":/domains/bank.js"_s : QString();
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_timeline(new es::TimelineView(this))
    , m_console(new es::CommandConsole(this))
    , m_inspector(new es::InspectorView(this))
    , m_streams(new es::StreamsView(this))
    , m_commandLog(new es::CommandLogView(this))
    , m_timeTravel(new es::TimeTravelView(this))
    , m_projections(new es::ProjectionsView(this))
    , m_pipeline(new es::PipelineView(this))
    , m_asOf(new es::AsOfView(this))
    , m_whatIf(new es::WhatIfView(this))
    , m_compare(new es::DomainCompareView(this))
    , m_banner(new es::StoreBanner(this))
    , m_healthLabel(new QLabel(this))
    , m_historyLabel(new QLabel(this))
    , m_storeLabel(new QLabel(this))
    , m_packLabel(new QLabel(this))
    , m_headLabel(new QLabel(this))
    , m_modeLabel(new QLabel(this))
    , m_liveLabel(new QLabel(this))
    , m_liveTimer(new QTimer(this))
{
    setWindowTitle(tr("Eventscope"));
    auto *central = new QWidget(this);
    auto *centralLayout = new QVBoxLayout(central);
    centralLayout->setContentsMargins(0, 0, 0, 0);
    centralLayout->setSpacing(0);
    centralLayout->addWidget(m_banner);
    centralLayout->addWidget(m_timeline, 1);
    setCentralWidget(central);
    buildDocks();
    buildMenus();
    routeNavigation();

    m_liveLabel->setObjectName(u"liveIndicator"_s);
    m_liveLabel->setToolTip(tr("Lights up when events arrive, from this window or another process"));
    m_liveTimer->setSingleShot(true);
    m_liveTimer->setInterval(600);
    connect(m_liveTimer, &QTimer::timeout, this, [this] { m_liveLabel->setText(tr("○ live")); });
    statusBar()->addWidget(m_storeLabel, 1);
    m_historyLabel->setObjectName(u"historyIndicator"_s);
    m_historyLabel->setToolTip(tr("The As Of view shows the store as of a past position; click Live there to go back"));
    m_historyLabel->setStyleSheet(u"color: white; background: #b35900; padding: 0 6px; font-weight: bold"_s);
    m_historyLabel->hide();
    statusBar()->addPermanentWidget(m_historyLabel);
    statusBar()->addPermanentWidget(m_packLabel);
    m_healthLabel->setObjectName(u"storeHealth"_s);
    statusBar()->addPermanentWidget(m_healthLabel);
    m_modeLabel->setObjectName(u"storeMode"_s);
    statusBar()->addPermanentWidget(m_modeLabel);
    statusBar()->addPermanentWidget(m_headLabel);
    statusBar()->addPermanentWidget(m_liveLabel);

    m_defaultState = saveState();
    // Sized on the first show, when the screen is known (see showEvent).
    m_restoredGeometry = restoreGeometry(Settings::windowGeometry());
    m_restoredState = restoreState(Settings::windowState());
    updateStatus();
}

MainWindow::~MainWindow()
{
    m_session.reset();
    // The docks go after this: what the views signal while they go (the
    // timeline's selection as its model empties) must not reach this window.
    es::disconnectDescendants(this);
}

void MainWindow::buildDocks()
{
    setDockOptions(AnimatedDocks | AllowTabbedDocks | AllowNestedDocks);
    auto dock = [this](QWidget *w, const QString &title, const QString &name, Qt::DockWidgetArea area) {
        return windowfit::addDock(this, w, title, name, area);
    };
    QDockWidget *console = dock(m_console, tr("Command Console"), u"consoleDock"_s, Qt::LeftDockWidgetArea);
    QDockWidget *streams = dock(m_streams, tr("Streams"), u"streamsDock"_s, Qt::LeftDockWidgetArea);
    tabifyDockWidget(console, streams);
    console->raise();
    QDockWidget *inspector = dock(m_inspector, tr("Inspector"), u"inspectorDock"_s, Qt::RightDockWidgetArea);
    QDockWidget *travel = dock(m_timeTravel, tr("Time Travel"), u"timeTravelDock"_s, Qt::RightDockWidgetArea);
    tabifyDockWidget(inspector, travel);
    QDockWidget *asOf = dock(m_asOf, tr("As Of"), u"asOfDock"_s, Qt::RightDockWidgetArea);
    tabifyDockWidget(inspector, asOf);
    inspector->raise();
    QDockWidget *log = dock(m_commandLog, tr("Command Log"), u"commandLogDock"_s, Qt::BottomDockWidgetArea);
    QDockWidget *projections = dock(m_projections, tr("Projections"), u"projectionsDock"_s, Qt::BottomDockWidgetArea);
    QDockWidget *pipeline = dock(m_pipeline, tr("Pipeline"), u"pipelineDock"_s, Qt::BottomDockWidgetArea);
    tabifyDockWidget(log, projections);
    tabifyDockWidget(log, pipeline);
    QDockWidget *whatIf = dock(m_whatIf, tr("What-If Sandbox"), u"whatIfDock"_s, Qt::BottomDockWidgetArea);
    QDockWidget *compare = dock(m_compare, tr("Domain Compare"), u"domainCompareDock"_s, Qt::BottomDockWidgetArea);
    tabifyDockWidget(log, whatIf);
    tabifyDockWidget(log, compare);
    log->raise();
}

void MainWindow::applyDefaultDockSizes()
{
    // The timeline keeps the centre and at least half the width; the side
    // columns and the bottom row share the rest, in proportion to the window.
    resizeDocks({windowfit::dockOf(m_console), windowfit::dockOf(m_inspector)},
                {std::max(270, width() * 20 / 100), std::max(300, width() * 24 / 100)}, Qt::Horizontal);
    resizeDocks({windowfit::dockOf(m_commandLog)}, {height() * 32 / 100}, Qt::Vertical);
}

void MainWindow::resetLayout()
{
    restoreState(m_defaultState);
    windowfit::clampToScreen(this);
    applyDefaultDockSizes();
}

void MainWindow::showEvent(QShowEvent *event)
{
    QMainWindow::showEvent(event);
    if (m_placed)
        return;
    m_placed = true;
    if (!m_restoredGeometry && screen())
        setGeometry(windowfit::defaultFrameGeometry(screen())); // the frame, if any, is clamped next
    windowfit::clampToScreen(this);
    if (!m_restoredState)
        applyDefaultDockSizes();
}

void MainWindow::buildMenus()
{
    const QString filter = tr("Eventscope stores (*.db);;All files (*)");
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&New Store…"), QKeySequence::New, this, [this, filter] {
        const QString path = QFileDialog::getSaveFileName(this, tr("New Store"), Settings::lastDirectory(), filter);
        if (!path.isEmpty()) {
            Settings::setLastDirectory(QFileInfo(path).absolutePath());
            openStore(path, false, true);
        }
    });
    file->addAction(tr("&Open Store…"), QKeySequence::Open, this, [this, filter] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open Store"), Settings::lastDirectory(), filter);
        if (!path.isEmpty()) {
            Settings::setLastDirectory(QFileInfo(path).absolutePath());
            openStore(path, false);
        }
    });
    file->addAction(tr("Open Store &Read-Only…"), QKeySequence(u"Ctrl+Shift+O"_s), this, [this, filter] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open Store Read-Only"), Settings::lastDirectory(), filter);
        if (!path.isEmpty()) {
            Settings::setLastDirectory(QFileInfo(path).absolutePath());
            openStore(path, true);
        }
    });
    file->addSeparator();
    // Ctrl+Shift+O is the read-only file open; the dialog has its own read-only box.
    file->addAction(tr("Open &PostgreSQL Store…"), QKeySequence(u"Ctrl+Alt+O"_s), this,
                    [this] { showConnectDialog(false); });
    file->addAction(tr("New Post&greSQL Store…"), this, [this] { showConnectDialog(true); });
    file->addSeparator();
    file->addAction(tr("Open &Demo Store"), QKeySequence(u"Ctrl+Shift+D"_s), this, [this] { openDemoStore(); });
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    refreshRecentMenu();
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::closeAllWindows);

    QMenu *domain = menuBar()->addMenu(tr("&Domain"));
    domain->addAction(tr("&Load Pack…"), QKeySequence(u"Ctrl+Shift+P"_s), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Load Domain Pack"), Settings::lastDirectory(),
                                                          tr("Domain packs (*.js);;All files (*)"));
        if (!path.isEmpty()) {
            Settings::setLastDirectory(QFileInfo(path).absolutePath());
            loadPack(path);
        }
    });
    domain->addAction(tr("&Reload Pack"), QKeySequence(u"Ctrl+R"_s), this, [this] { reloadPack(); });
    QMenu *samples = domain->addMenu(tr("&Sample Packs"));
    samples->setToolTipsVisible(true);
    for (const QString &name : {u"bank"_s, u"shop"_s, u"publishing"_s, u"identity"_s}) {
        const QString path = samplePackPath(name);
        QAction *a = samples->addAction(name, this, [this, path] { loadPack(path); });
        a->setEnabled(!path.isEmpty());
        a->setToolTip(path.isEmpty() ? tr("Not found: %1.js is looked for in resources/domains beside the program "
                                          "and in the current directory; only bank is built in")
                                           .arg(name)
                                     : path);
    }

    m_viewMenu = menuBar()->addMenu(tr("&View"));
    // Alt+1..Alt+0 show and raise a dock (in the order the docks were made).
    const auto docks = findChildren<QDockWidget *>();
    int n = 0;
    for (QDockWidget *d : docks) {
        QAction *toggle = d->toggleViewAction();
        if (n < 10)
            toggle->setShortcut(QKeySequence(QStringLiteral("Alt+%1").arg((n + 1) % 10)));
        ++n;
        m_viewMenu->addAction(toggle);
        connect(toggle, &QAction::triggered, d, [d](bool on) {
            if (on)
                d->raise();
        });
    }
    m_viewMenu->addSeparator();
    m_viewMenu->addAction(tr("Reset &Layout"), this, [this] { resetLayout(); });

    QMenu *explore = menuBar()->addMenu(tr("&Explore"));
    QAction *travelHere = explore->addAction(tr("&Time Travel to Selected Event"), QKeySequence(u"Ctrl+T"_s), this, [this] {
        if (!m_selectedStream.isEmpty()) {
            m_timeTravel->showReplay(m_selectedStream, m_selectedVersion);
            showDockOf(m_timeTravel);
        }
    });
    QAction *asOfHere = explore->addAction(tr("Store &As Of Selected Event"), QKeySequence(u"Ctrl+Shift+A"_s), this, [this] {
        if (m_selectedPosition > 0) {
            m_asOf->setAsOfPosition(m_selectedPosition);
            showDockOf(m_asOf);
        }
    });
    QAction *forkHere = explore->addAction(tr("&Fork Sandbox at Selected Event"), QKeySequence(u"Ctrl+Shift+K"_s), this, [this] {
        if (m_selectedPosition > 0) {
            m_whatIf->forkAt(m_selectedPosition);
            showDockOf(m_whatIf);
        }
    });
    explore->addSeparator();
    explore->addAction(tr("&Back to Live"), QKeySequence(u"Ctrl+Shift+L"_s), this, [this] { m_asOf->goLive(); });
    explore->addAction(tr("&Compare with Another Pack Version…"), this, [this] {
        showDockOf(m_compare);
        m_compare->choosePackB();
    });
    for (QAction *a : {travelHere, asOfHere, forkHere})
        a->setToolTip(tr("Select an event in the timeline first"));

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Eventscope"), this, [this] {
        QMessageBox::about(this, tr("About Eventscope"),
                           tr("<b>Eventscope %1</b><p>A workbench for CQRS and event-sourced systems: issue commands, "
                              "browse the event log, replay any aggregate, verify the hash chain.</p>")
                               .arg(QCoreApplication::applicationVersion()));
    });
}

void MainWindow::routeNavigation()
{
    using namespace es;
    connect(m_timeline, &TimelineView::eventSelected, m_inspector, &InspectorView::showEvent);
    connect(m_timeline, &TimelineView::eventSelected, this, [this](const es::RecordedEvent &event) {
        m_selectedPosition = event.position;
        m_selectedStream = event.stream;
        m_selectedVersion = event.version;
    });
    auto showStream = [this](const QString &stream) {
        m_timeline->setStreamFilter(stream);
        m_streams->selectStream(stream);
    };
    connect(m_inspector, &InspectorView::showStreamRequested, this, showStream);
    connect(m_inspector, &InspectorView::showCorrelationRequested, m_timeline, &TimelineView::setCorrelationFilter);
    connect(m_inspector, &InspectorView::revealEventRequested, m_timeline, &TimelineView::revealPosition);
    auto replay = [this](const QString &stream, qint64 version) {
        m_timeTravel->showReplay(stream, version);
        showDockOf(m_timeTravel);
    };
    connect(m_inspector, &InspectorView::replayRequested, this, replay);
    connect(m_console, &CommandConsole::revealEventRequested, m_timeline, &TimelineView::revealPosition);
    connect(m_commandLog, &CommandLogView::revealEventRequested, m_timeline, &TimelineView::revealPosition);
    connect(m_streams, &StreamsView::streamActivated, m_timeline, &TimelineView::setStreamFilter);
    connect(m_streams, &StreamsView::revealEventRequested, m_timeline, &TimelineView::revealPosition);
    connect(m_timeTravel, &TimeTravelView::revealEventRequested, m_timeline, &TimelineView::revealPosition);
    connect(m_timeTravel, &TimeTravelView::showStreamRequested, this, showStream);
    connect(m_projections, &ProjectionsView::revealEventRequested, m_timeline, &TimelineView::revealPosition);
    connect(m_projections, &ProjectionsView::revealEventRequested, this, [this] { showDockOf(m_inspector); });
    connect(m_pipeline, &PipelineView::revealEventRequested, m_timeline, &TimelineView::revealPosition);
    connect(m_asOf, &AsOfView::showStreamRequested, this, showStream);
    connect(m_asOf, &AsOfView::revealEventRequested, m_timeline, &TimelineView::revealPosition);
    connect(m_asOf, &AsOfView::replayRequested, this, replay);
    connect(m_asOf, &AsOfView::historicalChanged, this, [this](bool historical, qint64 position) {
        m_historyLabel->setText(tr("HISTORICAL — as of #%1").arg(position));
        m_historyLabel->setVisible(historical);
        // The views that still show or change the live store say so.
        m_timeline->setAsOfPosition(historical ? position : 0);
        m_console->setAsOfPosition(historical ? position : 0);
        m_inspector->setAsOfPosition(historical ? position : 0);
    });
    connect(m_whatIf, &WhatIfView::revealEventRequested, m_timeline, &TimelineView::revealPosition);
    connect(m_compare, &DomainCompareView::revealEventRequested, m_timeline, &TimelineView::revealPosition);
    connect(m_compare, &DomainCompareView::showStreamRequested, this, showStream);
    // The trainer's eventual-consistency knob on the pipeline drives the projection runner.
    connect(m_pipeline, &PipelineView::projectionDelayRequested, this, [this](const QString &name, int delayMs) {
        if (m_session)
            m_session->setProjectionDelay(name, delayMs);
    });
}

void MainWindow::showDockOf(QWidget *view)
{
    if (QDockWidget *dock = windowfit::dockOf(view)) {
        dock->show();
        dock->raise();
    }
}

void MainWindow::setSessionOnViews()
{
    es::Session *s = m_session.get();
    m_timeline->setSession(s);
    m_console->setSession(s);
    m_inspector->setSession(s);
    m_streams->setSession(s);
    m_commandLog->setSession(s);
    m_timeTravel->setSession(s);
    m_projections->setSession(s);
    m_pipeline->setSession(s);
    m_asOf->setSession(s);
    m_whatIf->setSession(s);
    m_compare->setSession(s);
}

void MainWindow::refreshRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = Settings::recentStores();
    for (const QString &path : recent)
        m_recentMenu->addAction(path, this, [this, path] { openStore(path, false); });
    m_recentMenu->setEnabled(!recent.isEmpty());
}

bool MainWindow::openStore(const QString &path, bool readOnly, bool create, const QString &packPath)
{
    es::Session::Options o;
    o.storePath = path;
    o.readOnly = readOnly;
    o.create = create;
    QString pack = packPath.isEmpty() ? Settings::lastPack() : packPath;
    if (pack.isEmpty() || (!pack.startsWith(u':') && !QFile::exists(pack)))
        pack = samplePackPath(u"bank"_s);
    o.packPath = pack;
    auto opened = es::Session::open(o);
    // A PostgreSQL server that wants a password we do not have (none in the URL,
    // PGPASSWORD or ~/.pgpass): ask, keep it in memory for this process only, retry.
    while (!opened && es::StoreAddress::isPostgresUrl(path) && es::StoreAddress::isPasswordError(opened.error().message) &&
           !qEnvironmentVariableIsSet("EVENTSCOPE_NO_DIALOGS")) {
        auto address = es::StoreAddress::parse(path);
        if (!address)
            break;
        bool ok = false;
        const QString password = QInputDialog::getText(
            this, tr("Password"), tr("Password for %1 (used for this session only, never saved):")
                                      .arg(address->displayName()),
            QLineEdit::Password, QString(), &ok);
        if (!ok)
            break;
        es::StoreAddress::rememberPassword(*address, password);
        opened = es::Session::open(o);
    }
    QString packProblem;
    if (!opened && opened.error().code == es::ErrorCode::Script) {
        // The store is fine, the pack is not: open for browsing, say why commands are off.
        packProblem = opened.error().message;
        o.packPath.clear();
        opened = es::Session::open(o);
    }
    if (!opened) {
        showError(tr("Cannot open store"), opened.error().message);
        return false;
    }
    // Views let go of the old session before it is destroyed.
    m_session.swap(*opened);
    setSessionOnViews();
    opened->reset();
    connect(m_session.get(), &es::Session::headChanged, this, [this] {
        updateStatus();
        flashLive();
    });
    connect(m_session.get(), &es::Session::packChanged, this, &MainWindow::updateStatus);
    connect(m_session.get(), &es::Session::healthChanged, this, [this] {
        updateStatus();
        updateBanner();
    });
    connect(m_session.get(), &es::Session::connectionChanged, this, [this](bool connected, const QString &message) {
        updateStatus();
        if (connected)
            showMessage(message);
        else
            statusBar()->showMessage(tr("Connection lost, reconnecting: %1").arg(message));
    });
    if (es::ProjectionHost *host = m_session->projections()) {
        connect(host, &es::ProjectionHost::statusChanged, m_pipeline, [this](const es::ProjectionStatus &status) {
            if (m_pipeline->projectionDelay(status.name) != status.delayMs)
                m_pipeline->setProjectionDelay(status.name, status.delayMs);
        });
    }
    // The display name: a password given in a URL is never written to the settings.
    const QString shown = m_session->store()->displayName();
    Settings::addRecentStore(shown);
    Settings::setLastStore(shown, readOnly);
    if (!o.packPath.isEmpty())
        Settings::setLastPack(o.packPath);
    refreshRecentMenu();
    updateStatus();
    updateBanner();
    if (!packProblem.isEmpty())
        showError(tr("The domain pack did not load"), packProblem);
    else if (!m_session->readOnlyReason().isEmpty())
        showMessage(tr("Opened %1 read-only: %2").arg(shown, m_session->readOnlyReason()));
    else
        showMessage(tr("Opened %1").arg(shown));
    return true;
}

void MainWindow::showConnectDialog(bool create)
{
    auto *dialog = new es::ConnectDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setCreateMode(create);
    QStringList recent;
    for (const QString &s : Settings::recentStores())
        if (es::StoreAddress::isPostgresUrl(s))
            recent << s;
    dialog->setRecentConnections(recent);
    if (!recent.isEmpty())
        dialog->setUrl(recent.constFirst());
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        openStore(dialog->url(), dialog->isReadOnly(), dialog->createStore());
    });
    dialog->open();
}

bool MainWindow::openDemoStore()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QDir().mkpath(dir);
    const QString path = dir + u"/demo.db"_s;
    const QString pack = samplePackPath(u"bank"_s);
    if (!QFile::exists(path)) {
        QApplication::setOverrideCursor(Qt::WaitCursor);
        auto made = es::createDemoStore(path, pack);
        QApplication::restoreOverrideCursor();
        if (!made) {
            showError(tr("Cannot create the demo store"), made.error().message);
            for (const char *suffix : {"", "-wal", "-shm"})
                QFile::remove(path + QLatin1StringView(suffix));
            return false;
        }
    }
    return openStore(path, false, false, pack);
}

bool MainWindow::loadPack(const QString &packPath)
{
    if (!m_session) {
        showError(tr("No store"), tr("Open a store first, then load a domain pack."));
        return false;
    }
    if (auto st = m_session->loadPack(packPath); !st) {
        showError(tr("The domain pack did not load"), st.error().message);
        return false;
    }
    Settings::setLastPack(packPath);
    showMessage(tr("Loaded pack %1").arg(m_session->domain()->info().name));
    return true;
}

bool MainWindow::reloadPack()
{
    if (!m_session || !m_session->domain()) {
        showError(tr("No domain pack"), tr("Load a domain pack first."));
        return false;
    }
    auto changes = m_session->reloadPack();
    if (!changes) {
        showError(tr("Reload failed: the previous pack stays in use"), changes.error().message);
        return false;
    }
    showMessage(tr("Reloaded %1: %2").arg(m_session->domain()->info().name, *changes));
    return true;
}

void MainWindow::updateStatus()
{
    if (!m_session) {
        m_storeLabel->setText(tr("No store open — File ▸ Open Demo Store"));
        m_headLabel->clear();
        m_modeLabel->clear();
        m_packLabel->clear();
        m_liveLabel->clear();
        m_healthLabel->clear();
        setWindowTitle(tr("Eventscope"));
        return;
    }
    const QString shown = m_session->store()->displayName();
    m_storeLabel->setText(m_session->isConnected() ? shown : tr("%1 — connection lost, reconnecting…").arg(shown));
    m_headLabel->setText(tr("head %1").arg(m_session->head()));
    m_modeLabel->setText(m_session->isReadOnly() ? tr("READ-ONLY") : tr("read-write"));
    m_modeLabel->setStyleSheet(m_session->isReadOnly() ? u"color: #b00020; font-weight: bold"_s : QString());
    m_modeLabel->setToolTip(m_session->readOnlyReason());
    switch (m_session->health()) {
    case es::Session::Health::Checking:
        m_healthLabel->setText(tr("checking the store…"));
        break;
    case es::Session::Health::Sound:
        m_healthLabel->setText(tr("checked: sound"));
        break;
    case es::Session::Health::Damaged:
        m_healthLabel->setText(tr("DAMAGED"));
        break;
    case es::Session::Health::NotChecked:
        m_healthLabel->setText(m_session->healthText() == u"new store"_s ? tr("new store") : tr("not checked"));
        break;
    }
    m_healthLabel->setToolTip(m_session->healthText());
    m_healthLabel->setStyleSheet(m_session->health() == es::Session::Health::Damaged
                                     ? u"color: white; background: #b00020; padding: 0 6px; font-weight: bold"_s
                                     : QString());
    if (m_session->domain()) {
        const auto &info = m_session->domain()->info();
        const QString file = m_session->packPath();
        m_packLabel->setText(tr("pack %1 %2 (%3)").arg(info.name, info.version, QFileInfo(file).fileName()));
        m_packLabel->setToolTip(tr("Domain pack loaded from %1").arg(file));
    } else {
        m_packLabel->setText(tr("no pack"));
    }
    if (m_liveLabel->text().isEmpty())
        m_liveLabel->setText(tr("○ live"));
    setWindowTitle(tr("%1 — Eventscope").arg(m_session->store()->isPostgres() ? shown
                                                                            : QFileInfo(shown).fileName()));
}

void MainWindow::updateBanner()
{
    if (!m_session) {
        m_banner->clear();
        return;
    }
    if (m_session->health() == es::Session::Health::Damaged) {
        m_banner->showProblem(es::StoreBanner::Severity::Danger,
                              tr("This store is damaged: it is open read-only, and nothing is written to it."),
                              m_session->healthText());
        return;
    }
    const QString reason = m_session->readOnlyReason();
    if (!reason.isEmpty()) {
        QString details = reason + u". "_s;
        if (m_session->store()->isSnapshot())
            details += tr("It was opened as a snapshot, without creating SQLite's journal files beside it: events "
                          "other processes append from now on are not shown until you open it again. ");
        details += tr("To write to it, make the file writable (or copy it somewhere writable) and open it again.");
        m_banner->showProblem(es::StoreBanner::Severity::Warning,
                              tr("This store is open read-only: it cannot be written here."), details);
        return;
    }
    m_banner->clear();
}

void MainWindow::flashLive()
{
    m_liveLabel->setText(tr("● live"));
    m_liveTimer->start();
}

void MainWindow::showError(const QString &title, const QString &message)
{
    m_lastError = message;
    statusBar()->showMessage(title + u": "_s + message, 10000);
    if (qEnvironmentVariableIsSet("EVENTSCOPE_NO_DIALOGS"))
        return;
    QMessageBox::warning(this, title, message);
}

void MainWindow::showMessage(const QString &message)
{
    m_lastMessage = message;
    statusBar()->showMessage(message, 8000);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    Settings::setWindowGeometry(saveGeometry());
    Settings::setWindowState(saveState());
    event->accept();
}
