#include "projectionsview.h"

#include "common/teardown.h"
#include "htmldelegate.h"
#include "projectionhost.h"
#include "projectionstatusmodel.h"
#include "readmodelmodel.h"
#include "readstore.h"
#include "rowdiffmodel.h"
#include "searchhitsmodel.h"
#include "session.h"
#include "throughputchart.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QFrame>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QShortcut>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace es {

namespace {

struct ProjectionsSettings {
    static QString key(const char *name) { return u"projectionsView/"_s + QLatin1StringView(name); }
    static QByteArray splitter(const char *which) { return QSettings().value(key(which)).toByteArray(); }
    static void setSplitter(const char *which, const QByteArray &s) { QSettings().setValue(key(which), s); }
    static QString current() { return QSettings().value(key("current")).toString(); }
    static void setCurrent(const QString &name) { QSettings().setValue(key("current"), name); }
};

QToolButton *toolButton(const QString &text, const QString &objectName, const QKeySequence &shortcut,
                        const QString &tip, QWidget *parent)
{
    auto *b = new QToolButton(parent);
    b->setText(text);
    b->setObjectName(objectName);
    b->setToolButtonStyle(Qt::ToolButtonTextOnly);
    b->setAutoRaise(false);
    b->setToolTip(shortcut.isEmpty() ? tip
                                     : u"%1 (%2)"_s.arg(tip, shortcut.toString(QKeySequence::NativeText)));
    if (!shortcut.isEmpty()) {
        auto *sc = new QShortcut(shortcut, parent);
        sc->setContext(Qt::WidgetWithChildrenShortcut);
        QObject::connect(sc, &QShortcut::activated, b, [b] {
            if (b->isEnabled())
                b->click();
        });
    }
    return b;
}

QTableView *makeTable(QWidget *parent, const QString &objectName)
{
    auto *t = new QTableView(parent);
    t->setObjectName(objectName);
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setSelectionMode(QAbstractItemView::SingleSelection);
    t->setAlternatingRowColors(true);
    t->verticalHeader()->hide();
    t->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    t->verticalHeader()->setDefaultSectionSize(t->fontMetrics().height() + 6);
    t->horizontalHeader()->setHighlightSections(false);
    t->setWordWrap(false);
    return t;
}

} // namespace

ProjectionsView::ProjectionsView(QWidget *parent)
    : QWidget(parent)
    , m_statusModel(new ProjectionStatusModel(this))
    , m_rows(new ReadModelModel(this))
    , m_hits(new SearchHitsModel(this))
    , m_diffModel(new RowDiffModel(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);

    // --- controls ---
    auto *bar = new QHBoxLayout;
    bar->setSpacing(4);
    m_pause = toolButton(tr("❚❚ Pause"), u"pause"_s, QKeySequence(u"Ctrl+Alt+P"_s),
                         tr("Stop applying events to the selected projection"), this);
    m_resume = toolButton(tr("▶ Resume"), u"resume"_s, QKeySequence(u"Ctrl+Alt+U"_s),
                          tr("Apply events again; after an error, retries the failed event with the current pack"),
                          this);
    m_skip = toolButton(tr("⤼ Skip event…"), u"skip"_s, QKeySequence(u"Ctrl+Alt+K"_s),
                        tr("Pass over the event that failed (asks for a reason; an audit record is kept)"), this);
    m_rebuild = toolButton(tr("⟳ Rebuild…"), u"rebuild"_s, QKeySequence(u"Ctrl+Alt+B"_s),
                           tr("Rebuild the read model from the first event into shadow tables, then review the "
                              "difference before swapping it in"),
                           this);
    auto *delayLabel = new QLabel(tr("Delay:"), this);
    m_delay = new QSpinBox(this);
    m_delay->setObjectName(u"delay"_s);
    m_delay->setRange(0, 60000);
    m_delay->setSingleStep(250);
    m_delay->setSuffix(tr(" ms"));
    m_delay->setSpecialValueText(tr("none"));
    m_delay->setKeyboardTracking(false);
    m_delay->setAccelerated(true);
    m_delay->setToolTip(tr("Artificial delay before the selected projection applies new events: shows eventual "
                           "consistency (the read model lags the events)"));
    delayLabel->setBuddy(m_delay);
    m_modeLabel = new QLabel(this);
    m_modeLabel->setObjectName(u"mode"_s);
    m_modeLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_modeLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred); // clipped when narrow; the tooltip has it all
    bar->addWidget(m_pause);
    bar->addWidget(m_resume);
    bar->addWidget(m_skip);
    bar->addWidget(m_rebuild);
    bar->addSpacing(8);
    bar->addWidget(delayLabel);
    bar->addWidget(m_delay);
    bar->addSpacing(8);
    bar->addWidget(m_modeLabel, 1);
    layout->addLayout(bar);

    m_message = new QLabel(this);
    m_message->setObjectName(u"message"_s);
    m_message->setWordWrap(true);
    m_message->setStyleSheet(u"QLabel { color: #c62828; }"_s);
    m_message->hide();
    layout->addWidget(m_message);

    // --- top: projections | chart, error, rebuild ---
    m_split = new QSplitter(Qt::Vertical, this);
    m_topSplit = new QSplitter(Qt::Horizontal, m_split);
    // Left: the projections, and under them the selected one's error and rebuild.
    auto *side = new QWidget(m_topSplit);
    auto *sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    sideLayout->setSpacing(4);
    m_table = makeTable(side, u"projections"_s);
    m_table->setModel(m_statusModel);
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(ProjectionStatusModel::NameColumn, QHeaderView::Stretch);
    m_table->setMinimumHeight(m_table->verticalHeader()->defaultSectionSize() * 3 + 30);
    sideLayout->addWidget(m_table, 1);

    // Right: the throughput chart.
    m_chart = new ThroughputChart(m_topSplit);
    m_chart->setObjectName(u"throughput"_s);

    m_errorPanel = new QFrame(side);
    m_errorPanel->setObjectName(u"errorPanel"_s);
    m_errorPanel->setFrameShape(QFrame::StyledPanel);
    m_errorPanel->setStyleSheet(u"QFrame#errorPanel { background: #fdecea; border: 1px solid #e57373; "
                                "border-radius: 3px; } QLabel { color: #7f1d1d; }"_s);
    auto *errorLayout = new QGridLayout(m_errorPanel);
    errorLayout->setContentsMargins(6, 4, 6, 4);
    m_errorText = new QLabel(m_errorPanel);
    m_errorText->setObjectName(u"errorText"_s);
    m_errorText->setWordWrap(true);
    m_errorText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_errorEvent = new QLabel(m_errorPanel);
    m_errorEvent->setObjectName(u"errorEvent"_s);
    m_errorEvent->setWordWrap(true);
    m_errorEvent->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // The error is the point of the panel: it keeps its height, the table above gives way.
    m_errorPanel->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Minimum);
    m_inspect = new QPushButton(tr("Inspect event"), m_errorPanel);
    m_inspect->setObjectName(u"inspect"_s);
    m_inspect->setToolTip(tr("Show the event that failed in the timeline and the inspector"));
    errorLayout->addWidget(m_errorText, 0, 0, 1, 2);
    errorLayout->addWidget(m_errorEvent, 1, 0);
    errorLayout->setColumnStretch(0, 1);
    errorLayout->addWidget(m_inspect, 1, 1, Qt::AlignRight);
    m_errorPanel->hide();
    sideLayout->addWidget(m_errorPanel);

    // A rebuild replays the whole log: it is asked for twice.
    m_confirmPanel = new QFrame(side);
    m_confirmPanel->setObjectName(u"confirmPanel"_s);
    m_confirmPanel->setFrameShape(QFrame::StyledPanel);
    auto *confirmLayout = new QGridLayout(m_confirmPanel);
    confirmLayout->setContentsMargins(6, 4, 6, 4);
    m_confirmText = new QLabel(m_confirmPanel);
    m_confirmText->setObjectName(u"confirmText"_s);
    m_confirmText->setWordWrap(true);
    auto *confirm = new QPushButton(tr("Rebuild"), m_confirmPanel);
    confirm->setObjectName(u"confirmRebuild"_s);
    auto *notNow = new QPushButton(tr("Cancel"), m_confirmPanel);
    notNow->setObjectName(u"cancelConfirm"_s);
    confirmLayout->addWidget(m_confirmText, 0, 0, 1, 3);
    confirmLayout->setColumnStretch(0, 1);
    confirmLayout->addWidget(confirm, 1, 1);
    confirmLayout->addWidget(notNow, 1, 2);
    m_confirmPanel->hide();
    sideLayout->addWidget(m_confirmPanel);
    connect(confirm, &QPushButton::clicked, this, [this] {
        m_confirmPanel->hide();
        rebuildCurrent();
    });
    connect(notNow, &QPushButton::clicked, m_confirmPanel, &QWidget::hide);

    m_rebuildPanel = new QGroupBox(tr("Rebuild"), side);
    m_rebuildPanel->setObjectName(u"rebuildPanel"_s);
    auto *rb = new QGridLayout(m_rebuildPanel);
    rb->setContentsMargins(6, 4, 6, 4);
    m_rebuildLabel = new QLabel(m_rebuildPanel);
    m_rebuildLabel->setWordWrap(true);
    m_rebuildProgress = new QProgressBar(m_rebuildPanel);
    m_rebuildProgress->setObjectName(u"rebuildProgress"_s);
    m_cancelRebuild = new QPushButton(tr("Cancel"), m_rebuildPanel);
    m_cancelRebuild->setObjectName(u"cancelRebuild"_s);
    m_cancelRebuild->setToolTip(tr("Stop the rebuild; the live read model stays as it is"));
    m_diffSummary = new QLabel(m_rebuildPanel);
    m_diffSummary->setObjectName(u"diffSummary"_s);
    m_diffSummary->setWordWrap(true);
    m_diffTable = makeTable(m_rebuildPanel, u"diff"_s);
    m_diffTable->setModel(m_diffModel);
    m_diffTable->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_diffTable->horizontalHeader()->setStretchLastSection(true);
    m_diffTable->setMinimumHeight(80);
    m_swap = new QPushButton(tr("Swap in"), m_rebuildPanel);
    m_swap->setObjectName(u"swap"_s);
    m_swap->setToolTip(tr("Replace the live read model by the rebuilt one, in one transaction"));
    m_discard = new QPushButton(tr("Discard"), m_rebuildPanel);
    m_discard->setObjectName(u"discard"_s);
    m_discard->setToolTip(tr("Drop the rebuilt tables; the live read model stays as it is"));
    rb->addWidget(m_rebuildLabel, 0, 0, 1, 3);
    rb->addWidget(m_rebuildProgress, 1, 0, 1, 2);
    rb->addWidget(m_cancelRebuild, 1, 2);
    rb->addWidget(m_diffSummary, 2, 0, 1, 3);
    rb->addWidget(m_diffTable, 3, 0, 1, 3);
    rb->addWidget(m_discard, 4, 1);
    rb->addWidget(m_swap, 4, 2);
    rb->setColumnStretch(0, 1);
    m_rebuildPanel->hide();
    sideLayout->addWidget(m_rebuildPanel, 2);
    m_topSplit->setStretchFactor(0, 1);
    m_topSplit->setStretchFactor(1, 1);

    // --- bottom: the read model ---
    auto *read = new QWidget(m_split);
    auto *readLayout = new QVBoxLayout(read);
    readLayout->setContentsMargins(0, 0, 0, 0);
    readLayout->setSpacing(4);
    auto *readBar = new QHBoxLayout;
    m_readTitle = new QLabel(read);
    m_readTitle->setObjectName(u"readTitle"_s);
    m_filter = new QLineEdit(read);
    m_filter->setObjectName(u"filter"_s);
    m_filter->setClearButtonEnabled(true);
    m_filter->setPlaceholderText(tr("Filter rows: status=paid, total>=10, name~mug … (Enter)"));
    m_filter->setToolTip(tr("Comma-separated conditions, all must hold: = != < <= > >=, ~ contains, ^ prefix, "
                            "\"col=\" is null, \"col!=\" is not null"));
    m_search = new QLineEdit(read);
    m_search->setObjectName(u"search"_s);
    m_search->setClearButtonEnabled(true);
    m_search->setPlaceholderText(tr("Search the documents (words; a trailing * for a prefix)"));
    m_rowsCount = new QLabel(read);
    m_rowsCount->setObjectName(u"rowsCount"_s);
    auto *refresh = new QToolButton(read);
    refresh->setText(tr("Refresh"));
    refresh->setToolTip(tr("Re-read the rows shown (F5)"));
    auto *refreshShortcut = new QShortcut(QKeySequence(Qt::Key_F5), this);
    refreshShortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(refreshShortcut, &QShortcut::activated, this, &ProjectionsView::refreshRows);
    connect(refresh, &QToolButton::clicked, this, &ProjectionsView::refreshRows);
    readBar->addWidget(m_readTitle);
    readBar->addWidget(m_filter, 1);
    readBar->addWidget(m_search, 1);
    readBar->addWidget(m_rowsCount);
    readBar->addWidget(refresh);
    readLayout->addLayout(readBar);
    auto *readSplit = new QSplitter(Qt::Horizontal, read);
    m_readStack = new QStackedWidget(readSplit);
    m_rowsTable = makeTable(m_readStack, u"rows"_s);
    m_rowsTable->setModel(m_rows);
    m_rowsTable->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_rowsTable->horizontalHeader()->setStretchLastSection(true);
    m_rowsTable->horizontalHeader()->setSectionsClickable(true);
    m_hitsTable = makeTable(m_readStack, u"hits"_s);
    m_hitsTable->setModel(m_hits);
    m_hitsTable->setItemDelegateForColumn(SearchHitsModel::SnippetColumn, new HtmlDelegate(m_hitsTable));
    m_hitsTable->horizontalHeader()->setStretchLastSection(true);
    m_readStack->addWidget(m_rowsTable);
    m_readStack->addWidget(m_hitsTable);
    m_preview = new QTextBrowser(readSplit);
    m_preview->setObjectName(u"preview"_s);
    m_preview->setOpenLinks(false);
    m_preview->setPlaceholderText(tr("Select a page to preview it"));
    readSplit->setStretchFactor(0, 1);
    readSplit->setStretchFactor(1, 1);
    readLayout->addWidget(readSplit, 1);
    m_split->setStretchFactor(0, 2);
    m_split->setStretchFactor(1, 3);
    layout->addWidget(m_split, 1);

    m_searchTimer = new QTimer(this);
    m_searchTimer->setSingleShot(true);
    m_searchTimer->setInterval(200);

    if (!m_split->restoreState(ProjectionsSettings::splitter("splitter")))
        m_split->setSizes({300, 300});
    if (!m_topSplit->restoreState(ProjectionsSettings::splitter("topSplitter")))
        m_topSplit->setSizes({560, 440});
    connect(m_split, &QSplitter::splitterMoved, this,
            [this] { ProjectionsSettings::setSplitter("splitter", m_split->saveState()); });
    connect(m_topSplit, &QSplitter::splitterMoved, this,
            [this] { ProjectionsSettings::setSplitter("topSplitter", m_topSplit->saveState()); });

    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &ProjectionsView::onCurrentRowChanged);
    connect(m_pause, &QToolButton::clicked, this, &ProjectionsView::pauseCurrent);
    connect(m_resume, &QToolButton::clicked, this, &ProjectionsView::resumeCurrent);
    connect(m_skip, &QToolButton::clicked, this, &ProjectionsView::skipCurrent);
    connect(m_rebuild, &QToolButton::clicked, this, [this] {
        if (m_current.isEmpty())
            return;
        m_confirmText->setText(tr("Rebuild %1 from the first event with the current pack? It runs beside the live "
                                  "read model, which stays until you swap the new one in.")
                                   .arg(m_current));
        m_confirmPanel->show();
    });
    connect(m_delay, &QSpinBox::valueChanged, this, [this](int ms) {
        if (ProjectionHost *h = host(); h && !m_current.isEmpty()) {
            auto s = h->status(m_current);
            if (!s || s->delayMs != ms)
                h->setDelay(m_current, ms);
        }
    });
    connect(m_inspect, &QPushButton::clicked, this, [this] {
        if (m_shownErrorPosition > 0)
            Q_EMIT revealEventRequested(m_shownErrorPosition);
    });
    connect(m_cancelRebuild, &QPushButton::clicked, this, [this] {
        if (ProjectionHost *h = host())
            h->cancelRebuild(m_current);
    });
    connect(m_discard, &QPushButton::clicked, this, [this] {
        if (ProjectionHost *h = host())
            h->cancelRebuild(m_current);
    });
    connect(m_swap, &QPushButton::clicked, this, [this] {
        if (ProjectionHost *h = host()) {
            m_swap->setEnabled(false);
            m_discard->setEnabled(false);
            m_rebuildLabel->setText(tr("Swapping in the rebuilt read model…"));
            h->swapRebuild(m_current);
        }
    });
    connect(m_filter, &QLineEdit::returnPressed, this, &ProjectionsView::applyFilter);
    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString &text) {
        if (text.isEmpty())
            applyFilter();
    });
    connect(m_search, &QLineEdit::textChanged, m_searchTimer, qOverload<>(&QTimer::start));
    connect(m_search, &QLineEdit::returnPressed, this, &ProjectionsView::runSearch);
    connect(m_searchTimer, &QTimer::timeout, this, &ProjectionsView::runSearch);
    connect(m_rowsTable->horizontalHeader(), &QHeaderView::sectionClicked, this, &ProjectionsView::sortBy);
    connect(m_rowsTable->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &ProjectionsView::showPreview);
    connect(m_hitsTable->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &ProjectionsView::showPreview);
    connect(m_rows, &ReadModelModel::loadFailed, this, &ProjectionsView::showError);
    connect(m_rows, &ReadModelModel::rowsLoaded, this, &ProjectionsView::updateRowsCount);
    connect(m_rows, &QAbstractItemModel::rowsInserted, this, &ProjectionsView::updateRowsCount);
    connect(m_rows, &QAbstractItemModel::rowsRemoved, this, &ProjectionsView::updateRowsCount);

    setSession(nullptr);
}

ProjectionsView::~ProjectionsView()
{
    disconnectDescendants(this);
}

ProjectionHost *ProjectionsView::host() const
{
    return m_session ? m_session->projections() : nullptr;
}

void ProjectionsView::setSession(Session *session)
{
    if (ProjectionHost *h = host())
        disconnect(h, nullptr, this, nullptr);
    m_session = session;
    m_rebuilds.clear();
    if (ProjectionHost *h = host()) {
        connect(h, &ProjectionHost::projectionsChanged, this, &ProjectionsView::reloadProjections);
        connect(h, &ProjectionHost::modeChanged, this, &ProjectionsView::updateMode);
        connect(h, &ProjectionHost::statusChanged, this, &ProjectionsView::onStatusChanged);
        connect(h, &ProjectionHost::historyAppended, this, &ProjectionsView::updateChart);
        connect(h, &ProjectionHost::rowsChanged, this, &ProjectionsView::onRowsChanged);
        connect(h, &ProjectionHost::pagesInvalidated, this,
                [this](const QString &p, const QStringList &paths, qint64) { onPagesInvalidated(p, paths); });
        connect(h, &ProjectionHost::projectionReset, this, &ProjectionsView::onProjectionReset);
        connect(h, &ProjectionHost::operationFailed, this,
                [this](const QString &, const QString &message) { showError(message); });
        connect(h, &ProjectionHost::rebuildProgress, this, [this](const QString &p, qint64 done, qint64 total) {
            RebuildState &r = m_rebuilds[p];
            r.done = done;
            r.total = total;
            if (p == m_current)
                updateRebuildPanel();
        });
        connect(h, &ProjectionHost::rebuildReady, this, [this](const QString &p, const ProjectionDiff &diff) {
            RebuildState &r = m_rebuilds[p];
            r.ready = true;
            r.diff = diff;
            if (p == m_current)
                updateRebuildPanel();
        });
        connect(h, &ProjectionHost::rebuildFinished, this,
                [this](const QString &p, bool swapped, const QString &error) {
                    m_rebuilds.remove(p);
                    if (!error.isEmpty())
                        showError(tr("The rebuild of %1 stopped: %2").arg(p, error));
                    else if (swapped && p == m_current)
                        m_message->hide();
                    if (p == m_current) {
                        updateRebuildPanel();
                        updateButtons();
                    }
                });
    }
    m_message->hide();
    reloadProjections();
    updateMode();
}

void ProjectionsView::updateMode()
{
    ProjectionHost *h = host();
    QString text;
    if (!h) {
        text = tr("No store is open.");
    } else {
        switch (h->mode()) {
        case ProjectionHost::Mode::Running:
            text = h->note().isEmpty() ? tr("Projections run in a background thread and follow new events live.")
                                       : h->note();
            break;
        case ProjectionHost::Mode::Observing:
            text = h->note();
            break;
        case ProjectionHost::Mode::Off:
            text = tr("No projections: load a domain pack that declares some.");
            break;
        }
    }
    m_modeLabel->setText(text);
    m_modeLabel->setToolTip(text);
    updateButtons();
}

void ProjectionsView::reloadProjections()
{
    ProjectionHost *h = host();
    QList<ProjectionStatus> statuses = h ? h->statuses() : QList<ProjectionStatus>();
    QHash<QString, QString> descriptions;
    if (h) {
        for (const QString &name : h->projections()) {
            if (auto s = h->schema(name))
                descriptions.insert(name, s->description);
        }
    }
    m_statusModel->setDescriptions(descriptions);
    m_statusModel->setRows(statuses);
    QString want = m_current;
    if (want.isEmpty() || m_statusModel->rowOf(want) < 0)
        want = ProjectionsSettings::current();
    if (m_statusModel->rowOf(want) < 0)
        want = statuses.isEmpty() ? QString() : statuses.constFirst().name;
    m_current.clear(); // forces a reload of the read model
    selectProjection(want);
    if (want.isEmpty()) {
        updateDetail();
        updateChart();
        updateRebuildPanel();
        loadReadModel();
    }
}

void ProjectionsView::selectProjection(const QString &name)
{
    const int row = m_statusModel->rowOf(name);
    if (row < 0)
        return;
    if (name == m_current)
        return;
    m_table->setCurrentIndex(m_statusModel->index(row, 0));
    if (m_current != name) // the selection did not move (same row after a reset)
        onCurrentRowChanged();
}

void ProjectionsView::onCurrentRowChanged()
{
    const QModelIndex current = m_table->currentIndex();
    const QString name = current.isValid() ? m_statusModel->rowAt(current.row()).name : QString();
    if (name == m_current)
        return;
    m_current = name;
    if (!name.isEmpty())
        ProjectionsSettings::setCurrent(name);
    m_message->hide();
    updateDetail();
    updateChart();
    updateRebuildPanel();
    loadReadModel();
}

void ProjectionsView::onStatusChanged(const ProjectionStatus &status)
{
    const bool known = m_statusModel->rowOf(status.name) >= 0;
    m_statusModel->upsert(status);
    if (!known && m_current.isEmpty())
        selectProjection(status.name);
    if (status.name == m_current) {
        updateDetail();
        // The read tables appear with the runner's first status.
        if (!m_rows->error().isEmpty() || m_rows->projection().isEmpty())
            loadReadModel();
    }
}

void ProjectionsView::updateDetail()
{
    ProjectionHost *h = host();
    auto s = h && !m_current.isEmpty() ? h->status(m_current) : std::nullopt;
    if (s && s->state == ProjectionState::Failed && !s->lastError.isEmpty()) {
        m_errorText->setText(tr("<b>%1 stopped:</b> %2").arg(s->name.toHtmlEscaped(), s->lastError.toHtmlEscaped()));
        m_shownErrorPosition = s->errorPosition;
        if (s->errorPosition > 0) {
            m_errorEvent->setText(tr("Poison event: #%1 · %2%3")
                                      .arg(QLocale().toString(s->errorPosition), s->errorEventType,
                                           s->errorEventId.isEmpty() ? QString() : u" · "_s + s->errorEventId));
            m_errorEvent->show();
            m_inspect->show();
        } else {
            m_errorEvent->setText(tr("Not an event's fault: fix the pack and reload it, or rebuild."));
            m_inspect->hide();
        }
        m_errorPanel->show();
    } else {
        m_shownErrorPosition = 0;
        m_errorPanel->hide();
    }
    if (s && !m_delay->hasFocus() && m_delay->value() != s->delayMs) {
        const QSignalBlocker block(m_delay);
        m_delay->setValue(s->delayMs);
    }
    updateButtons();
}

void ProjectionsView::updateButtons()
{
    ProjectionHost *h = host();
    const bool running = h && h->mode() == ProjectionHost::Mode::Running;
    auto s = h && !m_current.isEmpty() ? h->status(m_current) : std::nullopt;
    const bool rebuilding = s && (h->isRebuilding(m_current) || s->state == ProjectionState::Rebuilding);
    m_pause->setEnabled(running && s &&
                        (s->state == ProjectionState::Running || s->state == ProjectionState::Rebuilding));
    m_resume->setEnabled(running && s && (s->state == ProjectionState::Paused || s->state == ProjectionState::Failed));
    m_skip->setEnabled(running && s && s->state == ProjectionState::Failed && s->errorPosition > 0);
    m_rebuild->setEnabled(running && s && !rebuilding);
    m_delay->setEnabled(running && s);
    const QString why = running ? QString() : tr(" — not available: projections are not running here");
    m_rebuild->setStatusTip(why);
}

void ProjectionsView::updateChart()
{
    ProjectionHost *h = host();
    if (!h || m_current.isEmpty()) {
        m_chart->setTitle(tr("Throughput"));
        m_chart->setSamples({});
        return;
    }
    m_chart->setTitle(tr("%1 — throughput").arg(m_current));
    m_chart->setSamples(h->history(m_current));
}

void ProjectionsView::updateRebuildPanel()
{
    auto it = m_rebuilds.constFind(m_current);
    ProjectionHost *h = host();
    const bool pending = h && !m_current.isEmpty() && h->isRebuilding(m_current);
    if (it == m_rebuilds.constEnd() && !pending) {
        m_rebuildPanel->hide();
        m_diffModel->setRows({});
        return;
    }
    const RebuildState r = it == m_rebuilds.constEnd() ? RebuildState() : *it;
    m_rebuildPanel->show();
    const QLocale locale;
    if (!r.ready) {
        m_rebuildLabel->setText(tr("Rebuilding %1 from the first event into shadow tables; the live read model "
                                   "stays readable.")
                                    .arg(m_current));
        m_rebuildProgress->setRange(0, 1000);
        m_rebuildProgress->setValue(r.total > 0 ? int(1000 * r.done / r.total) : 0);
        m_rebuildProgress->setFormat(tr("%1 of %2 events").arg(locale.toString(r.done), locale.toString(r.total)));
        m_rebuildProgress->show();
        m_cancelRebuild->show();
        m_diffSummary->hide();
        m_diffTable->hide();
        m_swap->hide();
        m_discard->hide();
        m_diffModel->setRows({});
        return;
    }
    const ProjectionDiff &d = r.diff;
    m_rebuildLabel->setText(tr("The rebuild of %1 is ready (as of event %2). Review the difference, then swap it "
                               "in or discard it.")
                                .arg(m_current, locale.toString(d.shadowPosition)));
    m_rebuildProgress->hide();
    m_cancelRebuild->hide();
    m_diffSummary->setText(
        d.isEmpty() ? tr("No difference: %1 rows are the same.").arg(locale.toString(d.unchanged))
                    : tr("<span style='color:#2e7d32'>+%1 added</span> · <span style='color:#c62828'>−%2 "
                         "removed</span> · <span style='color:#1565c0'>~%3 changed</span> · %4 unchanged%5")
                          .arg(locale.toString(d.added), locale.toString(d.removed), locale.toString(d.changed),
                               locale.toString(d.unchanged),
                               d.samples.size() < d.added + d.removed + d.changed
                                   ? tr(" (first %1 shown)").arg(d.samples.size())
                                   : QString()));
    m_diffSummary->show();
    m_diffModel->setRows(d.samples);
    m_diffTable->setVisible(!d.samples.isEmpty());
    m_diffTable->resizeColumnToContents(RowDiffModel::ChangeColumn);
    m_diffTable->resizeColumnToContents(RowDiffModel::KeyColumn);
    m_swap->show();
    m_discard->show();
    m_swap->setEnabled(true);
    m_discard->setEnabled(true);
}

void ProjectionsView::pauseCurrent()
{
    if (ProjectionHost *h = host(); h && !m_current.isEmpty())
        h->pause(m_current);
}

void ProjectionsView::resumeCurrent()
{
    if (ProjectionHost *h = host(); h && !m_current.isEmpty()) {
        m_message->hide();
        h->resume(m_current);
    }
}

void ProjectionsView::skipCurrent()
{
    ProjectionHost *h = host();
    auto s = h && !m_current.isEmpty() ? h->status(m_current) : std::nullopt;
    if (!s || s->state != ProjectionState::Failed || s->errorPosition <= 0)
        return;
    auto *dialog = new QDialog(this);
    dialog->setObjectName(u"skipDialog"_s);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Skip event #%1 in %2").arg(s->errorPosition).arg(s->name));
    auto *v = new QVBoxLayout(dialog);
    auto *text = new QLabel(tr("<p>Projection <b>%1</b> will pass over event <b>#%2</b> (%3) and apply the events "
                               "after it. Its read model will not contain what this event would have written.</p>"
                               "<p>An audit record keeps who skipped it, when, and why.</p>"
                               "<p><i>Error:</i> %4</p>")
                                .arg(s->name.toHtmlEscaped())
                                .arg(s->errorPosition)
                                .arg(s->errorEventType.toHtmlEscaped(), s->lastError.toHtmlEscaped()),
                            dialog);
    text->setWordWrap(true);
    auto *reason = new QLineEdit(dialog);
    reason->setObjectName(u"skipReason"_s);
    reason->setPlaceholderText(tr("Why is this event skipped? (required, kept in the audit record)"));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, dialog);
    QPushButton *ok = buttons->addButton(tr("Skip event"), QDialogButtonBox::AcceptRole);
    ok->setObjectName(u"confirmSkip"_s);
    ok->setEnabled(false);
    connect(reason, &QLineEdit::textChanged, ok, [ok](const QString &t) { ok->setEnabled(!t.trimmed().isEmpty()); });
    connect(buttons, &QDialogButtonBox::accepted, dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    v->addWidget(text);
    v->addWidget(reason);
    v->addWidget(buttons);
    const QString name = s->name;
    connect(dialog, &QDialog::accepted, this, [this, name, reason] {
        if (ProjectionHost *hh = host()) {
            m_message->hide();
            hh->skip(name, reason->text().trimmed());
        }
    });
    dialog->resize(460, dialog->sizeHint().height());
    dialog->open();
}

void ProjectionsView::rebuildCurrent()
{
    ProjectionHost *h = host();
    if (!h || m_current.isEmpty() || h->isRebuilding(m_current))
        return;
    m_message->hide();
    m_rebuilds.insert(m_current, RebuildState());
    h->startRebuild(m_current);
    updateRebuildPanel();
    updateButtons();
}

void ProjectionsView::showError(const QString &message)
{
    m_message->setText(message);
    m_message->setVisible(!message.isEmpty());
}

// --- the read model ---------------------------------------------------------------

void ProjectionsView::loadReadModel()
{
    ProjectionHost *h = host();
    ReadStore *rs = h && !m_current.isEmpty() ? h->readStore() : nullptr;
    std::optional<ProjectionSchema> schema;
    if (rs) {
        // The stored shape is what the live tables hold (the pack may have changed it).
        if (auto stored = rs->schema(m_current))
            schema = *stored;
        else
            schema = h->schema(m_current);
    }
    if (!schema) {
        m_rows->clear();
        m_hits->setRows({});
        m_readTitle->setText(m_current.isEmpty() ? tr("Read model") : tr("<b>%1</b>").arg(m_current));
        m_filter->setVisible(false);
        m_search->setVisible(false);
        m_preview->setVisible(false);
        updateRowsCount();
        return;
    }
    const ProjectionKind kind = schema->kind;
    m_readTitle->setText(tr("<b>%1</b> · %2").arg(m_current, projectionKindName(kind)));
    m_filter->setVisible(kind == ProjectionKind::Table);
    m_search->setVisible(kind == ProjectionKind::Search);
    m_preview->setVisible(kind != ProjectionKind::Table);
    m_preview->clear();
    m_preview->setPlaceholderText(kind == ProjectionKind::Page ? tr("Select a page to preview it")
                                                               : tr("Select a document to show it"));
    {
        const QSignalBlocker b1(m_filter);
        const QSignalBlocker b2(m_search);
        m_filter->clear();
        m_search->clear();
    }
    m_hits->setRows({});
    m_readStack->setCurrentWidget(m_rowsTable);
    m_rowsTable->horizontalHeader()->setSortIndicatorShown(kind == ProjectionKind::Table);
    m_rowsTable->horizontalHeader()->setSortIndicator(0, Qt::AscendingOrder);
    m_rows->setSource(rs, *schema);
    if (m_rows->error().isEmpty() && m_message->text() == m_rows->error())
        m_message->hide();
    m_rowsTable->resizeColumnsToContents();
    for (int c = 0; c < m_rows->columnCount(); ++c)
        m_rowsTable->setColumnWidth(c, qMin(m_rowsTable->columnWidth(c), 240));
}

void ProjectionsView::updateRowsCount()
{
    if (m_readStack->currentWidget() == m_hitsTable) {
        m_rowsCount->setText(tr("%n hit(s)", nullptr, int(m_hits->rowCount())));
        return;
    }
    if (m_rows->projection().isEmpty()) {
        m_rowsCount->clear();
        return;
    }
    m_rowsCount->setText(m_rows->isComplete() ? tr("%n row(s)", nullptr, m_rows->rowCount())
                                              : tr("%n row(s) loaded, more on scroll", nullptr, m_rows->rowCount()));
}

void ProjectionsView::refreshRows()
{
    m_rows->refresh();
    if (!m_search->text().trimmed().isEmpty())
        runSearch();
    showPreview();
}

void ProjectionsView::applyFilter()
{
    if (m_rows->projection().isEmpty())
        return;
    ListQuery q = m_rows->query();
    q.filters.clear();
    const QStringList parts = m_filter->text().split(u',', Qt::SkipEmptyParts);
    for (const QString &part : parts) {
        auto f = RowFilter::parse(part.trimmed());
        if (!f) {
            showError(tr("Filter: %1").arg(f.error().message));
            m_filter->setStyleSheet(u"QLineEdit { border: 1px solid #c62828; }"_s);
            return;
        }
        q.filters.append(*f);
    }
    m_filter->setStyleSheet(QString());
    m_message->hide();
    ProjectionHost *h = host();
    m_rows->setSource(h ? h->readStore() : nullptr, m_rows->schema(), q);
}

void ProjectionsView::sortBy(int section)
{
    if (m_rows->schema().kind != ProjectionKind::Table || m_rows->projection().isEmpty())
        return;
    const QString field = m_rows->fieldOf(section);
    if (section != 0 && field.isEmpty()) {
        // The position column is not sortable: keep the indicator where it was.
        const int shown = m_rows->query().sortBy.isEmpty() ? 0 : m_rows->columnCount();
        Q_UNUSED(shown);
        return;
    }
    ListQuery q = m_rows->query();
    q.descending = q.sortBy == field ? !q.descending : false;
    q.sortBy = field;
    m_rowsTable->horizontalHeader()->setSortIndicator(section, q.descending ? Qt::DescendingOrder
                                                                            : Qt::AscendingOrder);
    ProjectionHost *h = host();
    m_rows->setSource(h ? h->readStore() : nullptr, m_rows->schema(), q);
}

void ProjectionsView::runSearch()
{
    m_searchTimer->stop();
    ProjectionHost *h = host();
    ReadStore *rs = h ? h->readStore() : nullptr;
    const QString text = m_search->text().trimmed();
    if (!rs || m_current.isEmpty() || text.isEmpty()) {
        m_hits->setRows({});
        m_readStack->setCurrentWidget(m_rowsTable);
        updateRowsCount();
        return;
    }
    auto hits = rs->search(m_current, text, 50);
    if (!hits) {
        m_hits->setRows({});
        showError(tr("Search: %1").arg(hits.error().message));
    } else {
        m_message->hide();
        m_hits->setRows(*hits);
    }
    m_readStack->setCurrentWidget(m_hitsTable);
    m_hitsTable->resizeColumnToContents(SearchHitsModel::KeyColumn);
    m_hitsTable->resizeColumnToContents(SearchHitsModel::RankColumn);
    if (m_hits->rowCount() > 0)
        m_hitsTable->setCurrentIndex(m_hits->index(0, 0));
    updateRowsCount();
}

void ProjectionsView::showPreview()
{
    ProjectionHost *h = host();
    ReadStore *rs = h ? h->readStore() : nullptr;
    if (!rs || m_rows->projection().isEmpty() || m_rows->schema().kind == ProjectionKind::Table)
        return;
    if (m_rows->schema().kind == ProjectionKind::Search) {
        QJsonObject doc;
        QString key;
        if (m_readStack->currentWidget() == m_hitsTable) {
            const QModelIndex i = m_hitsTable->currentIndex();
            if (i.isValid()) {
                doc = m_hits->rowAt(i.row()).document;
                key = m_hits->rowAt(i.row()).key;
            }
        } else if (const QModelIndex i = m_rowsTable->currentIndex(); i.isValid()) {
            doc = m_rows->rowAt(i.row()).value;
            key = m_rows->rowAt(i.row()).key;
        }
        if (key.isEmpty()) {
            m_preview->clear();
            return;
        }
        QString html = u"<h3>%1</h3><table cellpadding='3'>"_s.arg(key.toHtmlEscaped());
        for (auto it = doc.constBegin(); it != doc.constEnd(); ++it)
            html += u"<tr><td valign='top'><b>%1</b></td><td>%2</td></tr>"_s.arg(
                it.key().toHtmlEscaped(), ReadModelModel::displayValue(it.value()).toHtmlEscaped());
        m_preview->setHtml(html + u"</table>"_s);
        return;
    }
    const QModelIndex i = m_rowsTable->currentIndex();
    if (!i.isValid()) {
        m_preview->clear();
        return;
    }
    const QString path = m_rows->rowAt(i.row()).key;
    auto page = rs->page(m_current, path);
    if (!page || !page->has_value()) {
        m_preview->setHtml(tr("<p><i>%1: this page no longer exists.</i></p>").arg(path.toHtmlEscaped()));
        return;
    }
    const Page &p = **page;
    m_preview->setHtml(p.html);
    m_preview->setToolTip(tr("%1 · version %2 · ETag %3 · written by event %4")
                              .arg(p.path)
                              .arg(p.version)
                              .arg(p.etag)
                              .arg(p.position));
}

void ProjectionsView::onRowsChanged(const QString &projection, const QStringList &keys)
{
    if (projection != m_current)
        return;
    m_rows->applyChanges(keys);
    if (m_readStack->currentWidget() == m_hitsTable && !m_searchTimer->isActive())
        m_searchTimer->start();
}

void ProjectionsView::onPagesInvalidated(const QString &projection, const QStringList &paths)
{
    if (projection != m_current)
        return;
    m_rows->applyChanges(paths);
    const QModelIndex i = m_rowsTable->currentIndex();
    if (i.isValid() && paths.contains(m_rows->rowAt(i.row()).key))
        showPreview();
}

void ProjectionsView::onProjectionReset(const QString &projection)
{
    if (projection == m_current)
        loadReadModel();
}

} // namespace es
