#include "mainwindow.h"

#include "demo.h"
#include "eventstore.h"
#include "settings.h"
#include "storeoverview.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QStandardPaths>
#include <QStatusBar>

using namespace Qt::StringLiterals;

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_overview(new es::StoreOverview(this))
    , m_storeLabel(new QLabel(this))
    , m_headLabel(new QLabel(this))
    , m_modeLabel(new QLabel(this))
{
    setWindowTitle(tr("Eventscope"));
    setCentralWidget(m_overview);
    statusBar()->addWidget(m_storeLabel, 1);
    statusBar()->addPermanentWidget(m_modeLabel);
    statusBar()->addPermanentWidget(m_headLabel);
    buildMenus();
    resize(1100, 700);
    restoreGeometry(Settings::windowGeometry());
    restoreState(Settings::windowState());
    updateStatus();
}

MainWindow::~MainWindow()
{
    m_overview->setStore(nullptr);
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&New Store…"), QKeySequence::New, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("New Store"), QDir::homePath(),
                                                          tr("Eventscope stores (*.db);;All files (*)"));
        if (!path.isEmpty())
            openStore(path, false, true);
    });
    file->addAction(tr("&Open Store…"), QKeySequence::Open, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open Store"), QDir::homePath(),
                                                          tr("Eventscope stores (*.db);;All files (*)"));
        if (!path.isEmpty())
            openStore(path, false);
    });
    file->addAction(tr("Open Store &Read-Only…"), QKeySequence(u"Ctrl+Shift+O"_s), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open Store Read-Only"), QDir::homePath(),
                                                          tr("Eventscope stores (*.db);;All files (*)"));
        if (!path.isEmpty())
            openStore(path, true);
    });
    file->addAction(tr("Open &Demo Store"), QKeySequence(u"Ctrl+D"_s), this, [this] { openDemoStore(); });
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    refreshRecentMenu();
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::closeAllWindows);
}

void MainWindow::refreshRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = Settings::recentStores();
    for (const QString &path : recent)
        m_recentMenu->addAction(path, this, [this, path] { openStore(path, false); });
    m_recentMenu->setEnabled(!recent.isEmpty());
}

bool MainWindow::openStore(const QString &path, bool readOnly, bool create)
{
    es::EventStore::Options options;
    options.mode = readOnly ? es::EventStore::Mode::ReadOnly
                            : (create ? es::EventStore::Mode::Create : es::EventStore::Mode::ReadWrite);
    auto opened = es::EventStore::open(path, options);
    if (!opened) {
        showError(tr("Cannot open store"), opened.error().message);
        return false;
    }
    m_overview->setStore(nullptr);
    m_store = std::move(*opened);
    connect(m_store.get(), &es::EventStore::eventsAppended, this, &MainWindow::updateStatus);
    m_overview->setStore(m_store.get());
    Settings::addRecentStore(path);
    Settings::setLastStore(path, readOnly);
    refreshRecentMenu();
    updateStatus();
    return true;
}

bool MainWindow::openDemoStore()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QDir().mkpath(dir);
    const QString path = dir + u"/demo.db"_s;
    if (!QFile::exists(path)) {
        auto made = es::createDemoStore(path, u":/domains/bank.js"_s);
        if (!made) {
            showError(tr("Cannot create the demo store"), made.error().message);
            QFile::remove(path);
            return false;
        }
    }
    return openStore(path, false);
}

void MainWindow::updateStatus()
{
    if (!m_store) {
        m_storeLabel->setText(tr("No store"));
        m_headLabel->clear();
        m_modeLabel->clear();
        setWindowTitle(tr("Eventscope"));
        return;
    }
    m_storeLabel->setText(m_store->path());
    m_headLabel->setText(tr("head %1").arg(m_store->headPosition()));
    m_modeLabel->setText(m_store->isReadOnly() ? tr("READ-ONLY") : tr("read-write"));
    setWindowTitle(tr("%1 — Eventscope").arg(QFileInfo(m_store->path()).fileName()));
}

void MainWindow::showError(const QString &title, const QString &message)
{
    m_lastError = message;
    if (qEnvironmentVariableIsSet("EVENTSCOPE_NO_DIALOGS"))
        return;
    QMessageBox::warning(this, title, message);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    Settings::setWindowGeometry(saveGeometry());
    Settings::setWindowState(saveState());
    event->accept();
}
