#include "asofview.h"
#include "common/naturalsortproxy.h"
#include "common/flowlayout.h"
#include "common/localshortcut.h"

#include "asofstreamsmodel.h"
#include "backgroundjob.h"
#include "common/jsontreewidget.h"
#include "common/teardown.h"
#include "eventstore.h"
#include "session.h"
#include "timetravel.h"
#include "workercontext.h"

#include <QAction>
#include <algorithm>
#include <QComboBox>
#include <QCompleter>
#include <QDateTimeEdit>
#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStringListModel>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace es {

namespace {

struct AsOfSettings {
    static QString key(const char *name) { return u"asOf/"_s + QLatin1StringView(name); }
    static int tab() { return QSettings().value(key("tab"), 0).toInt(); }
    static void setTab(int t) { QSettings().setValue(key("tab"), t); }
    static QString projection() { return QSettings().value(key("projection")).toString(); }
    static void setProjection(const QString &p) { QSettings().setValue(key("projection"), p); }
};

QTableView *makeTable(QWidget *parent, const QString &name)
{
    auto *t = new QTableView(parent);
    t->setObjectName(name);
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setSelectionMode(QAbstractItemView::SingleSelection);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->setAlternatingRowColors(true);
    t->verticalHeader()->hide();
    t->verticalHeader()->setDefaultSectionSize(t->fontMetrics().height() + 6);
    t->horizontalHeader()->setStretchLastSection(true);
    return t;
}

} // namespace

AsOfView::AsOfView(QWidget *parent)
    : QWidget(parent)
    , m_streamsJob(new BackgroundJob(this))
    , m_projectionJob(new BackgroundJob(this))
    , m_debounce(new QTimer(this))
    , m_liveRefresh(new QTimer(this))
{
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(200);
    m_liveRefresh->setSingleShot(true);
    m_liveRefresh->setInterval(300);
    buildUi();
    setSession(nullptr);
}

AsOfView::~AsOfView()
{
    disconnectDescendants(this);
    AsOfSettings::setTab(m_tabs->currentIndex());
}

void AsOfView::buildUi()
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);

    auto *bannerRow = new QHBoxLayout;
    m_banner = new QLabel(this);
    m_banner->setObjectName(u"asOfBanner"_s);
    m_banner->setTextFormat(Qt::RichText);
    m_banner->setWordWrap(true); // wraps beside Back to Live rather than pushing it out of the dock
    m_banner->setMinimumHeight(28);
    m_live = new QPushButton(tr("Back to &Live"), this);
    m_live->setObjectName(u"asOfLive"_s);
    m_live->setToolTip(tr("Leave the past: show the store at its head and follow new events (Ctrl+Alt+L)"));
    setLocalShortcut(m_live, QKeySequence(u"Ctrl+Alt+L"_s), this);
    bannerRow->addWidget(m_banner, 1);
    bannerRow->addWidget(m_live);
    layout->addLayout(bannerRow);

    auto *cursorRow = new QHBoxLayout;
    auto *asOfLabel = new QLabel(tr("&As of:"), this);
    m_slider = new QSlider(Qt::Horizontal, this);
    m_slider->setObjectName(u"asOfSlider"_s);
    m_slider->setToolTip(tr("The global position to look at the store from"));
    m_positionSpin = new QSpinBox(this);
    m_positionSpin->setObjectName(u"asOfPosition"_s);
    m_positionSpin->setPrefix(u"#"_s);
    m_positionSpin->setToolTip(tr("Global position: everything up to and including this event"));
    m_positionSpin->setKeyboardTracking(false);
    asOfLabel->setBuddy(m_positionSpin);
    m_timeEdit = new QDateTimeEdit(this);
    m_timeEdit->setObjectName(u"asOfTime"_s);
    m_timeEdit->setTimeSpec(Qt::UTC);
    m_timeEdit->setDisplayFormat(u"yyyy-MM-dd HH:mm:ss 'UTC'"_s);
    m_timeEdit->setToolTip(tr("A time: the cursor goes to the last event recorded at or before it"));
    m_timeEdit->setKeyboardTracking(false);
    m_slider->setMinimumWidth(100);
    cursorRow->addWidget(asOfLabel);
    cursorRow->addWidget(m_slider, 1);
    layout->addLayout(cursorRow);
    auto *exactRow = new FlowLayout; // the position and the time, wrapping when narrow
    exactRow->addWidget(m_positionSpin);
    exactRow->addWidget(m_timeEdit);
    layout->addLayout(exactRow);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(u"asOfTabs"_s);

    // Streams
    auto *streamsPage = new QWidget(this);
    auto *streamsLayout = new QVBoxLayout(streamsPage);
    auto *filterRow = new QHBoxLayout;
    m_streamFilter = new QLineEdit(streamsPage);
    m_streamFilter->setObjectName(u"asOfStreamFilter"_s);
    m_streamFilter->setPlaceholderText(tr("Filter streams…"));
    m_streamFilter->setClearButtonEnabled(true);
    m_streamCount = new QLabel(streamsPage);
    m_streamCount->setObjectName(u"asOfStreamCount"_s);
    filterRow->addWidget(m_streamFilter, 1);
    filterRow->addWidget(m_streamCount);
    m_streams = new AsOfStreamsModel(this);
    m_streamsProxy = new NaturalSortProxy(this);
    m_streamsProxy->setSourceModel(m_streams);
    m_streamsProxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_streamsProxy->setFilterKeyColumn(AsOfStreamsModel::StreamColumn);
    m_streamsProxy->setSortRole(Qt::UserRole);
    m_streamsView = makeTable(streamsPage, u"asOfStreams"_s);
    m_streamsView->setModel(m_streamsProxy);
    m_streamsView->setSortingEnabled(true);
    m_streamsView->sortByColumn(AsOfStreamsModel::StreamColumn, Qt::AscendingOrder);
    m_streamsView->setToolTip(tr("Double-click: the aggregate's state as of the cursor. Right-click for more."));
    auto *showState = new QAction(tr("Show &State as Of the Cursor"), m_streamsView);
    auto *replay = new QAction(tr("&Replay to This Version"), m_streamsView);
    auto *showStream = new QAction(tr("Show S&tream"), m_streamsView);
    auto *reveal = new QAction(tr("Reveal &Last Event"), m_streamsView);
    m_streamsView->addActions({showState, replay, showStream, reveal});
    m_streamsView->setContextMenuPolicy(Qt::ActionsContextMenu);
    streamsLayout->addLayout(filterRow);
    streamsLayout->addWidget(m_streamsView, 1);
    m_tabs->addTab(streamsPage, tr("&Streams"));

    // Aggregate
    auto *aggregatePage = new QWidget(this);
    auto *aggregateLayout = new QVBoxLayout(aggregatePage);
    auto *aggregateRow = new QHBoxLayout;
    m_aggregateEdit = new QLineEdit(aggregatePage);
    m_aggregateEdit->setObjectName(u"asOfAggregateStream"_s);
    m_aggregateEdit->setPlaceholderText(tr("stream id"));
    m_aggregateEdit->setClearButtonEnabled(true);
    m_streamNames = new QStringListModel(this);
    auto *completer = new QCompleter(m_streamNames, this);
    completer->setCaseSensitivity(Qt::CaseInsensitive);
    completer->setFilterMode(Qt::MatchContains);
    m_aggregateEdit->setCompleter(completer);
    m_replay = new QPushButton(tr("Open in Time Travel"), aggregatePage);
    m_replay->setObjectName(u"asOfReplay"_s);
    m_replay->setToolTip(tr("Open this stream at this version in the time-travel view"));
    aggregateRow->addWidget(new QLabel(tr("Stream:"), aggregatePage));
    aggregateRow->addWidget(m_aggregateEdit, 1);
    aggregateRow->addWidget(m_replay);
    m_aggregateInfo = new QLabel(aggregatePage);
    m_aggregateInfo->setObjectName(u"asOfAggregateInfo"_s);
    m_aggregateInfo->setWordWrap(true);
    m_aggregateInfo->setTextFormat(Qt::RichText);
    m_aggregateTree = new JsonTreeWidget(aggregatePage);
    m_aggregateTree->setObjectName(u"asOfAggregateState"_s);
    aggregateLayout->addLayout(aggregateRow);
    aggregateLayout->addWidget(m_aggregateInfo);
    aggregateLayout->addWidget(m_aggregateTree, 1);
    m_tabs->addTab(aggregatePage, tr("A&ggregate"));

    // Projections
    auto *projectionsPage = new QWidget(this);
    auto *projectionsLayout = new QVBoxLayout(projectionsPage);
    auto *projectionRow = new QHBoxLayout;
    m_projectionBox = new QComboBox(projectionsPage);
    m_projectionBox->setObjectName(u"asOfProjection"_s);
    m_projectionBox->setToolTip(tr("The projection (read model) to rebuild as of the cursor"));
    m_build = new QPushButton(tr("&Build"), projectionsPage);
    m_build->setObjectName(u"asOfBuild"_s);
    m_build->setToolTip(tr("Rebuild the projection from events 1..cursor into a scratch in-memory database "
                           "(the live read model is not touched)"));
    m_progress = new QProgressBar(projectionsPage);
    m_progress->setObjectName(u"asOfProgress"_s);
    m_cancel = new QToolButton(projectionsPage);
    m_cancel->setObjectName(u"asOfCancel"_s);
    m_cancel->setText(tr("Cancel"));
    m_cancel->setToolTip(tr("Stop the build (Esc)"));
    setLocalShortcut(m_cancel, QKeySequence(Qt::Key_Escape), this);
    projectionRow->addWidget(new QLabel(tr("Projection:"), projectionsPage));
    projectionRow->addWidget(m_projectionBox, 1);
    projectionRow->addWidget(m_build);
    auto *progressRow = new QHBoxLayout; // its own line: shown only while a build runs
    progressRow->addWidget(m_progress, 1);
    progressRow->addWidget(m_cancel);
    m_projectionInfo = new QLabel(projectionsPage);
    m_projectionInfo->setObjectName(u"asOfProjectionInfo"_s);
    m_projectionInfo->setWordWrap(true);
    m_rows = new AsOfRowsModel(this);
    m_rowsView = makeTable(projectionsPage, u"asOfRows"_s);
    m_rowsView->setModel(m_rows);
    projectionsLayout->addLayout(projectionRow);
    projectionsLayout->addLayout(progressRow);
    projectionsLayout->addWidget(m_projectionInfo);
    projectionsLayout->addWidget(m_rowsView, 1);
    m_tabs->addTab(projectionsPage, tr("&Projections"));
    layout->addWidget(m_tabs, 1);
    m_progress->hide();
    m_cancel->hide();

    // Wiring
    connect(m_live, &QPushButton::clicked, this, &AsOfView::goLive);
    connect(m_slider, &QSlider::valueChanged, this, [this](int v) {
        const QSignalBlocker block(m_positionSpin);
        m_positionSpin->setValue(v);
        m_debounce->start();
    });
    connect(m_debounce, &QTimer::timeout, this, [this] { setAsOfPosition(m_slider->value()); });
    connect(m_positionSpin, &QSpinBox::valueChanged, this, [this](int v) { setAsOfPosition(v); });
    connect(m_timeEdit, &QDateTimeEdit::dateTimeChanged, this, [this](const QDateTime &t) { setAsOfTime(t); });
    connect(m_streamFilter, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_streamsProxy->setFilterFixedString(text);
        m_streamCount->setText(tr("%n stream(s)", nullptr, m_streamsProxy->rowCount()));
    });
    connect(m_streamsView, &QTableView::activated, this, [this] {
        const QString s = selectedStream();
        if (!s.isEmpty()) {
            showAggregate(s);
            m_tabs->setCurrentIndex(AggregateTab);
        }
    });
    connect(showState, &QAction::triggered, this, [this] {
        if (const QString s = selectedStream(); !s.isEmpty()) {
            showAggregate(s);
            m_tabs->setCurrentIndex(AggregateTab);
        }
    });
    auto selectedRow = [this]() -> std::optional<AsOfStream> {
        const QModelIndex i = m_streamsView->currentIndex();
        if (!i.isValid())
            return std::nullopt;
        return m_streams->rowAt(m_streamsProxy->mapToSource(i).row());
    };
    connect(replay, &QAction::triggered, this, [this, selectedRow] {
        if (auto r = selectedRow())
            Q_EMIT replayRequested(r->stream, r->version);
    });
    connect(showStream, &QAction::triggered, this, [this, selectedRow] {
        if (auto r = selectedRow())
            Q_EMIT showStreamRequested(r->stream);
    });
    connect(reveal, &QAction::triggered, this, [this, selectedRow] {
        if (auto r = selectedRow())
            Q_EMIT revealEventRequested(r->lastPosition);
    });
    connect(m_aggregateEdit, &QLineEdit::returnPressed, this,
            [this] { showAggregate(m_aggregateEdit->text().trimmed()); });
    connect(completer, qOverload<const QString &>(&QCompleter::activated), this, &AsOfView::showAggregate);
    connect(m_replay, &QPushButton::clicked, this, [this] {
        if (!m_aggregateStream.isEmpty())
            Q_EMIT replayRequested(m_aggregateStream, m_aggregateVersion);
    });
    connect(m_projectionBox, &QComboBox::currentTextChanged, this, [this](const QString &p) {
        if (p.isEmpty())
            return;
        AsOfSettings::setProjection(p);
        m_projectionStale = true;
        if (m_tabs->currentIndex() == ProjectionsTab)
            buildProjection();
    });
    connect(m_build, &QPushButton::clicked, this, &AsOfView::buildProjection);
    connect(m_cancel, &QToolButton::clicked, this, &AsOfView::cancelBuild);
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int tab) {
        if (tab == ProjectionsTab && m_projectionStale && m_session && m_session->domain())
            buildProjection();
    });
    connect(m_projectionJob, &BackgroundJob::progress, this, [this](qint64 done, qint64 total, const QString &) {
        m_progress->setRange(0, total > 0 ? 1000 : 0);
        m_progress->setValue(total > 0 ? int(done * 1000 / total) : 0);
        m_progress->setFormat(tr("#%1 of #%2").arg(done).arg(total));
    });
    connect(m_liveRefresh, &QTimer::timeout, this, [this] {
        if (isHistorical())
            return;
        loadStreams();
        loadAggregate();
        m_projectionStale = true;
    });
    {
        const QSignalBlocker block(m_tabs);
        m_tabs->setCurrentIndex(qBound(0, AsOfSettings::tab(), 2));
    }
}

void AsOfView::setSession(Session *session)
{
    if (m_session)
        disconnect(m_session, nullptr, this, nullptr);
    m_streamsJob->cancel();
    m_projectionJob->cancel();
    m_session = session;
    m_position = -1;
    m_head = m_session ? m_session->head() : 0;
    m_aggregateStream.clear();
    m_aggregateState = {};
    m_aggregateEdit->clear();
    m_aggregateTree->clear();
    m_aggregateInfo->setText(tr("<i>Pick a stream here or double-click one in Streams.</i>"));
    m_streams->setRows({});
    m_rows->setRows({});
    m_projectionInfo->clear();
    m_builtPosition = -1;
    m_projectionStale = true;
    for (QWidget *w : std::initializer_list<QWidget *>{m_slider, m_positionSpin, m_timeEdit, m_tabs})
        w->setEnabled(m_session != nullptr);
    if (m_session) {
        connect(m_session, &Session::eventsAppended, this, &AsOfView::onAppended);
        connect(m_session, &Session::packChanged, this, [this] {
            refreshPackLists();
            loadAggregate();
            m_projectionStale = true;
        });
    }
    refreshPackLists();
    applyCursor();
}

void AsOfView::refreshPackLists()
{
    QStringList names;
    if (m_session) {
        if (auto streams = m_session->store()->streams({}, 20000)) {
            for (const StreamInfo &s : std::as_const(*streams))
                names << s.stream;
        }
    }
    NaturalSortProxy::sort(names);
    m_streamNames->setStringList(names);
    const QSignalBlocker block(m_projectionBox);
    const QString current = m_projectionBox->currentText().isEmpty() ? AsOfSettings::projection()
                                                                      : m_projectionBox->currentText();
    m_projectionBox->clear();
    if (m_session && m_session->domain()) {
        for (const ProjectionSpec &p : m_session->domain()->info().projections)
            m_projectionBox->addItem(p.name);
    }
    const int i = m_projectionBox->findText(current);
    if (i >= 0)
        m_projectionBox->setCurrentIndex(i);
    const bool any = m_projectionBox->count() > 0;
    m_build->setEnabled(any);
    if (!any)
        m_projectionInfo->setText(m_session && !m_session->domain() ? tr("Load a domain pack to build projections.")
                                                                    : tr("This pack declares no projections."));
}

qint64 AsOfView::position() const
{
    return m_position >= 0 ? m_position : m_head;
}

QString AsOfView::projection() const
{
    return m_projectionBox->currentText();
}

bool AsOfView::isBuilding() const
{
    return m_projectionJob->isRunning();
}

bool AsOfView::runInline() const
{
    return !m_session || WorkerContext::mustRunInline(m_session->storePath());
}

void AsOfView::setAsOfPosition(qint64 position)
{
    if (!m_session)
        return;
    m_debounce->stop();
    m_head = m_session->head();
    position = qBound<qint64>(0, position, m_head);
    const bool was = isHistorical();
    if (was && position == m_position)
        return;
    m_position = position;
    applyCursor();
    Q_EMIT historicalChanged(true, m_position);
}

void AsOfView::setAsOfTime(const QDateTime &time)
{
    if (!m_session || !time.isValid())
        return;
    setAsOfPosition(m_session->store()->positionAtTime(time.toMSecsSinceEpoch()));
}

void AsOfView::goLive()
{
    if (!isHistorical())
        return;
    m_position = -1;
    m_head = m_session ? m_session->head() : 0;
    applyCursor();
    Q_EMIT historicalChanged(false, -1);
}

void AsOfView::applyCursor()
{
    const qint64 p = position();
    {
        const QSignalBlocker a(m_slider);
        const QSignalBlocker b(m_positionSpin);
        const QSignalBlocker c(m_timeEdit);
        m_slider->setRange(0, int(m_head));
        m_slider->setPageStep(qMax(1, int(m_head / 20)));
        m_positionSpin->setRange(0, int(m_head));
        m_slider->setValue(int(p));
        m_positionSpin->setValue(int(p));
        if (m_session && p > 0) {
            if (auto e = m_session->store()->readForward(p, 1); e && !e->isEmpty())
                m_timeEdit->setDateTime(e->constFirst().recorded());
        }
    }
    refreshBanner();
    loadStreams();
    loadAggregate();
    m_projectionStale = true;
    if (m_tabs->currentIndex() == ProjectionsTab && m_session && m_session->domain())
        buildProjection();
}

void AsOfView::refreshBanner()
{
    m_live->setEnabled(isHistorical());
    if (!m_session) {
        m_banner->setText(tr("<i>No store open.</i>"));
        m_banner->setStyleSheet({});
        return;
    }
    if (isHistorical()) {
        const QString when = m_timeEdit->dateTime().isValid() && m_position > 0
                                 ? tr(" &middot; %1 UTC").arg(m_timeEdit->dateTime().toString(u"yyyy-MM-dd HH:mm:ss"_s))
                                 : QString();
        m_banner->setText(tr("<b>HISTORICAL</b> &nbsp;The store as of position <b>#%1</b>%2 &middot; the live head "
                             "is #%3 (%n event(s) later)",
                             nullptr, int(m_head - m_position))
                              .arg(m_position)
                              .arg(when)
                              .arg(m_head));
        m_banner->setStyleSheet(u"QLabel { background: #ffb300; color: #3e2723; border: 1px solid #e65100;"
                                " border-radius: 3px; padding: 3px 8px; }"_s);
        m_banner->setToolTip(tr("You are looking at the past. Nothing here changes the live store or read models."));
    } else {
        m_banner->setText(tr("<b>LIVE</b> &nbsp;Following the head, position #%1").arg(m_head));
        m_banner->setStyleSheet(u"QLabel { background: #e8f5e9; color: #1b5e20; border: 1px solid #a5d6a7;"
                                " border-radius: 3px; padding: 3px 8px; }"_s);
        m_banner->setToolTip(tr("Move the slider, or type a position or a time, to look at the past."));
    }
}

void AsOfView::loadStreams()
{
    if (!m_session) {
        m_streams->setRows({});
        return;
    }
    const qint64 p = position();
    auto result = std::make_shared<std::optional<Result<QList<AsOfStream>>>>();
    const QString storePath = m_session->storePath();
    EventStore *sessionStore = m_session->store();
    const bool inlineWork = runInline();
    m_streamCount->setText(tr("loading…"));
    m_streamsJob->start(
        [=](JobControl &control) {
            auto context = inlineWork ? Result<std::unique_ptr<WorkerContext>>(WorkerContext::borrow(sessionStore, nullptr))
                                      : WorkerContext::open(storePath, {});
            if (!context) {
                *result = Result<QList<AsOfStream>>(context.error());
                return;
            }
            *result = AsOf::streams((*context)->store(), p,
                                    [&](qint64 d, qint64 t) { return control.progress(d, t, {}); });
        },
        [this, result, p](bool cancelled) {
            if (cancelled || !result->has_value())
                return;
            if (!**result) {
                m_streamCount->setText((*result)->error().message);
                return;
            }
            // Keep the selected stream selected across cursor moves.
            const QString selected = selectedStream();
            m_streams->setRows(***result);
            m_streamsView->resizeColumnsToContents();
            m_streamCount->setText(tr("%n stream(s)", nullptr, m_streamsProxy->rowCount()));
            if (!selected.isEmpty()) {
                for (int r = 0; r < m_streamsProxy->rowCount(); ++r) {
                    const QModelIndex i = m_streamsProxy->index(r, 0);
                    if (i.data().toString() == selected) {
                        m_streamsView->setCurrentIndex(i);
                        break;
                    }
                }
            }
            Q_EMIT streamsLoaded(p);
        },
        inlineWork);
}

QString AsOfView::selectedStream() const
{
    const QModelIndex i = m_streamsView->currentIndex();
    return i.isValid() ? i.siblingAtColumn(AsOfStreamsModel::StreamColumn).data().toString() : QString();
}

void AsOfView::showAggregate(const QString &stream)
{
    m_aggregateStream = stream;
    {
        const QSignalBlocker block(m_aggregateEdit);
        m_aggregateEdit->setText(stream);
    }
    loadAggregate();
}

void AsOfView::loadAggregate()
{
    m_aggregateState = {};
    m_aggregateVersion = 0;
    m_replay->setEnabled(false);
    if (!m_session || m_aggregateStream.isEmpty()) {
        m_aggregateTree->clear();
        return;
    }
    if (!m_session->domain()) {
        m_aggregateTree->clear();
        m_aggregateInfo->setText(tr("Load a domain pack to rebuild aggregates."));
        return;
    }
    const auto info = m_session->store()->streamInfo(m_aggregateStream);
    if (!info) {
        m_aggregateTree->clear();
        m_aggregateInfo->setText(tr("<span style='color:#c62828'>There is no stream “%1”.</span>")
                                     .arg(m_aggregateStream.toHtmlEscaped()));
        return;
    }
    // One aggregate load: quick (snapshots bound the events folded), so on this thread.
    TimeTravel tt(m_session->store(), m_session->domain());
    auto loaded = tt.atPosition(m_aggregateStream, position());
    if (!loaded) {
        m_aggregateTree->clear();
        m_aggregateInfo->setText(u"<span style='color:#c62828'>%1</span>"_s.arg(loaded.error().message.toHtmlEscaped()));
        return;
    }
    m_aggregateState = loaded->state;
    m_aggregateVersion = loaded->version;
    m_aggregateTree->setJson(loaded->state);
    QString text;
    if (loaded->version == 0)
        text = tr("<b>%1</b> (%2) did not exist yet at position #%3: its initial state.")
                   .arg(m_aggregateStream.toHtmlEscaped(), info->type)
                   .arg(position());
    else
        text = tr("<b>%1</b> (%2) at <b>version %3</b> of %4 as of position #%5.")
                   .arg(m_aggregateStream.toHtmlEscaped(), info->type)
                   .arg(loaded->version)
                   .arg(info->version)
                   .arg(position());
    if (loaded->usedSnapshot())
        text += tr(" ◆ Rebuilt from the snapshot at version %1, then %n event(s).", nullptr, int(loaded->eventsApplied))
                    .arg(loaded->snapshotVersion);
    m_aggregateInfo->setText(text);
    m_replay->setEnabled(true);
}

void AsOfView::setProjection(const QString &projection)
{
    const int i = m_projectionBox->findText(projection);
    if (i >= 0)
        m_projectionBox->setCurrentIndex(i);
}

void AsOfView::buildProjection()
{
    if (!m_session || !m_session->domain() || m_projectionBox->currentText().isEmpty())
        return;
    const QString projection = m_projectionBox->currentText();
    const qint64 p = position();
    const QString storePath = m_session->storePath();
    const QString packPath = m_session->packPath();
    EventStore *sessionStore = m_session->store();
    Domain *sessionDomain = m_session->domain();
    const bool inlineWork = runInline();
    auto result = std::make_shared<std::optional<Result<AsOfRows>>>();
    auto elapsed = std::make_shared<qint64>(0);
    m_projectionStale = false;
    m_progress->setRange(0, 0);
    m_progress->show();
    m_cancel->show();
    m_build->setEnabled(false);
    m_projectionInfo->setText(tr("Building %1 as of #%2…").arg(projection).arg(p));
    m_projectionJob->start(
        [=](JobControl &control) {
            QElapsedTimer clock;
            clock.start();
            auto context = inlineWork ? Result<std::unique_ptr<WorkerContext>>(
                                            WorkerContext::borrow(sessionStore, sessionDomain))
                                      : WorkerContext::open(storePath, packPath);
            if (!context) {
                *result = Result<AsOfRows>(context.error());
                return;
            }
            *result = AsOf::projectionRows((*context)->store(), (*context)->domain(), projection, p,
                                           [&](qint64 d, qint64 t) { return control.progress(d, t, {}); });
            *elapsed = clock.elapsed();
        },
        [this, result, elapsed, projection, p](bool cancelled) {
            m_progress->hide();
            m_cancel->hide();
            m_build->setEnabled(m_projectionBox->count() > 0);
            if (cancelled || !result->has_value() || (!**result && (*result)->error().code == ErrorCode::Cancelled)) {
                m_projectionStale = true;
                m_projectionInfo->setText(tr("Build cancelled: the rows below (if any) are as of #%1.")
                                              .arg(m_builtPosition));
                return;
            }
            if (!**result) {
                m_projectionInfo->setText(tr("Could not build %1 as of #%2: %3")
                                              .arg(projection)
                                              .arg(p)
                                              .arg((*result)->error().message));
                Q_EMIT projectionFailed((*result)->error().message);
                return;
            }
            m_rows->setRows((**result)->rows);
            m_rowsView->resizeColumnsToContents();
            m_builtPosition = p;
            m_builtProjection = projection;
            m_projectionInfo->setText(tr("%1 as of #%2: %n row(s), built from events 1..%2 in %3 ms into a scratch "
                                         "in-memory database (the live read model is untouched).",
                                         nullptr, int(m_rows->rowCount()))
                                          .arg(projection)
                                          .arg(p)
                                          .arg(*elapsed));
            Q_EMIT projectionBuilt(projection, p);
        },
        inlineWork);
}

void AsOfView::cancelBuild()
{
    m_projectionJob->cancel();
}

void AsOfView::onAppended(const EventList &events)
{
    if (!m_session)
        return;
    m_head = m_session->head();
    {
        const QSignalBlocker a(m_slider);
        const QSignalBlocker b(m_positionSpin);
        m_slider->setRange(0, int(m_head));
        m_positionSpin->setRange(0, int(m_head));
        if (!isHistorical()) {
            m_slider->setValue(int(m_head));
            m_positionSpin->setValue(int(m_head));
        }
    }
    refreshBanner();
    const bool newStream = std::any_of(events.cbegin(), events.cend(), [](const RecordedEvent &e) { return e.version == 1; });
    if (newStream)
        refreshPackLists();
    if (!isHistorical())
        m_liveRefresh->start();
}

} // namespace es
