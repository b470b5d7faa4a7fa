#include "timetravelview.h"
#include "common/naturalsortproxy.h"

#include "common/flowlayout.h"
#include "common/localshortcut.h"

#include "backgroundjob.h"
#include "bisect.h"
#include "common/jsontreewidget.h"
#include "common/teardown.h"
#include "eventstore.h"
#include "markedslider.h"
#include "session.h"
#include "statechangesmodel.h"
#include "workercontext.h"

#include <QAction>
#include <QComboBox>
#include <QCompleter>
#include <QDateTimeEdit>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QStringListModel>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace es {

namespace {

// The view's remembered choices.
struct TravelSettings {
    static QString key(const char *name) { return u"timeTravel/"_s + QLatin1StringView(name); }
    static int speed() { return QSettings().value(key("speed"), 4).toInt(); }
    static void setSpeed(int s) { QSettings().setValue(key("speed"), s); }
    static int mode() { return QSettings().value(key("mode"), 0).toInt(); }
    static void setMode(int m) { QSettings().setValue(key("mode"), m); }
    static QString predicate() { return QSettings().value(key("predicate"), u"s => s.balance < 0"_s).toString(); }
    static void setPredicate(const QString &p) { QSettings().setValue(key("predicate"), p); }
    static QByteArray splitter() { return QSettings().value(key("splitter")).toByteArray(); }
    static void setSplitter(const QByteArray &s) { QSettings().setValue(key("splitter"), s); }
};

QString timeText(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(u"yyyy-MM-dd HH:mm:ss.zzz"_s);
}

QString describeEntry(const BlameEntry &e)
{
    QString text = u"v%1 %2 (#%3, %4 UTC"_s.arg(e.version).arg(e.eventType).arg(e.position).arg(timeText(e.recordedMs));
    if (!e.actor.isEmpty())
        text += u", by "_s + e.actor;
    return text + u')';
}

struct BisectOutcome {
    std::optional<BisectResult> result;
    Error error;
};

} // namespace

TimeTravelView::TimeTravelView(QWidget *parent)
    : QWidget(parent)
    , m_historyJob(new BackgroundJob(this))
    , m_bisectJob(new BackgroundJob(this))
{
    buildUi();
    setSession(nullptr);
}

TimeTravelView::~TimeTravelView()
{
    disconnectDescendants(this);
    TravelSettings::setSplitter(m_splitter->saveState());
}

void TimeTravelView::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    // Narrow (a side dock): the state above its changes, blame and bisect; wide: side by side.
    const Qt::Orientation wanted = width() < 640 ? Qt::Vertical : Qt::Horizontal;
    if (m_splitter->orientation() != wanted)
        m_splitter->setOrientation(wanted);
}

void TimeTravelView::buildUi()
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);

    // Stream chooser
    auto *top = new QHBoxLayout;
    auto *streamLabel = new QLabel(tr("&Stream:"), this);
    m_streamEdit = new QLineEdit(this);
    m_streamEdit->setObjectName(u"travelStream"_s);
    m_streamEdit->setPlaceholderText(tr("stream id, e.g. account-1"));
    m_streamEdit->setToolTip(tr("The stream to travel through; completes from the store's streams. Enter opens it."));
    m_streamEdit->setClearButtonEnabled(true);
    streamLabel->setBuddy(m_streamEdit);
    m_streamNames = new QStringListModel(this);
    m_completer = new QCompleter(m_streamNames, this);
    m_completer->setCaseSensitivity(Qt::CaseInsensitive);
    m_completer->setFilterMode(Qt::MatchContains);
    m_streamEdit->setCompleter(m_completer);
    m_open = new QPushButton(tr("Open"), this);
    m_open->setObjectName(u"travelOpen"_s);
    m_open->setToolTip(tr("Replay the stream from its first event (Enter)"));
    m_title = new QLabel(this);
    m_title->setObjectName(u"travelTitle"_s);
    m_title->setTextFormat(Qt::RichText);
    m_title->setWordWrap(true); // on its own line: a long title wraps instead of widening the dock
    top->addWidget(streamLabel);
    top->addWidget(m_streamEdit, 1);
    top->addWidget(m_open);
    layout->addLayout(top);
    layout->addWidget(m_title);

    // Transport
    auto makeAction = [this](QStyle::StandardPixmap icon, const QString &tip, const QKeySequence &key) {
        auto *a = new QAction(style()->standardIcon(icon), tip, this);
        a->setToolTip(tip + u" ("_s + key.toString(QKeySequence::NativeText) + u')');
        a->setShortcut(key);
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        addAction(a);
        return a;
    };
    m_firstAction = makeAction(QStyle::SP_MediaSkipBackward, tr("The initial state, before the first event"), QKeySequence(u"Ctrl+Home"_s));
    m_backAction = makeAction(QStyle::SP_MediaSeekBackward, tr("One event back"), QKeySequence(u"Alt+Left"_s));
    m_playAction = makeAction(QStyle::SP_MediaPlay, tr("Play the stream event by event at the chosen speed"), QKeySequence(u"Ctrl+Space"_s));
    m_playAction->setCheckable(true);
    m_forwardAction = makeAction(QStyle::SP_MediaSeekForward, tr("One event forward"), QKeySequence(u"Alt+Right"_s));
    m_lastAction = makeAction(QStyle::SP_MediaSkipForward, tr("The latest state"), QKeySequence(u"Ctrl+End"_s));
    m_firstAction->setObjectName(u"travelFirst"_s);
    m_backAction->setObjectName(u"travelBack"_s);
    m_playAction->setObjectName(u"travelPlay"_s);
    m_forwardAction->setObjectName(u"travelForward"_s);
    m_lastAction->setObjectName(u"travelLast"_s);

    auto *transport = new QHBoxLayout;
    for (QAction *a : {m_firstAction, m_backAction, m_playAction, m_forwardAction, m_lastAction}) {
        auto *b = new QToolButton(this);
        b->setDefaultAction(a);
        b->setAutoRaise(true);
        b->setObjectName(a->objectName() + u"Button"_s);
        transport->addWidget(b);
    }
    m_slider = new MarkedSlider(this);
    m_slider->setObjectName(u"travelSlider"_s);
    m_slider->setToolTip(tr("The cursor, one step per event. Diamonds: versions with a snapshot (red: the snapshot "
                            "differs from the replayed state)"));
    m_slider->setPageStep(10);
    m_slider->setMinimumWidth(120);
    transport->addWidget(m_slider, 1);
    layout->addLayout(transport);
    // How the cursor is set, and the speed: a second line that wraps when narrow.
    auto *cursorRow = new FlowLayout;
    m_modeBox = new QComboBox(this);
    m_modeBox->setObjectName(u"travelMode"_s);
    m_modeBox->addItems({tr("Version"), tr("Position"), tr("Time")});
    m_modeBox->setToolTip(tr("Set the cursor by stream version, by global position (the last event of this stream at "
                             "or before it) or by time"));
    m_cursorStack = new QStackedWidget(this);
    m_versionSpin = new QSpinBox(this);
    m_versionSpin->setObjectName(u"travelVersion"_s);
    m_versionSpin->setPrefix(tr("v"));
    m_versionSpin->setToolTip(tr("Stream version at the cursor (0: the initial state)"));
    m_positionSpin = new QSpinBox(this);
    m_positionSpin->setObjectName(u"travelPosition"_s);
    m_positionSpin->setPrefix(u"#"_s);
    m_positionSpin->setToolTip(tr("Global position: the cursor goes to this stream's last event at or before it"));
    m_timeEdit = new QDateTimeEdit(this);
    m_timeEdit->setObjectName(u"travelTime"_s);
    m_timeEdit->setTimeSpec(Qt::UTC);
    m_timeEdit->setDisplayFormat(u"yyyy-MM-dd HH:mm:ss.zzz 'UTC'"_s);
    m_timeEdit->setToolTip(tr("Time: the cursor goes to this stream's last event recorded at or before it"));
    m_cursorStack->addWidget(m_versionSpin);
    m_cursorStack->addWidget(m_positionSpin);
    m_cursorStack->addWidget(m_timeEdit);
    m_cursorStack->setSizePolicy(QSizePolicy::Maximum, QSizePolicy::Fixed);
    m_cursorStack->setMaximumWidth(m_timeEdit->sizeHint().width() + 10);
    m_speed = new QSpinBox(this);
    m_speed->setObjectName(u"travelSpeed"_s);
    m_speed->setRange(1, 20);
    m_speed->setSuffix(tr(" ev/s"));
    m_speed->setToolTip(tr("Playback speed, events per second"));
    m_speed->setValue(TravelSettings::speed());
    cursorRow->addWidget(m_modeBox);
    cursorRow->addWidget(m_cursorStack);
    cursorRow->addWidget(m_speed);
    layout->addLayout(cursorRow);

    // Progress of long work
    auto *progressRow = new QHBoxLayout;
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(u"travelProgress"_s);
    m_progress->setTextVisible(true);
    m_cancel = new QToolButton(this);
    m_cancel->setObjectName(u"travelCancel"_s);
    m_cancel->setText(tr("Cancel"));
    m_cancel->setToolTip(tr("Stop the running replay or bisect (Esc)"));
    setLocalShortcut(m_cancel, QKeySequence(Qt::Key_Escape), this);
    progressRow->addWidget(m_progress, 1);
    progressRow->addWidget(m_cancel);
    layout->addLayout(progressRow);

    // The event at the cursor
    auto *eventRow = new FlowLayout;
    m_event = new QLabel(this);
    m_event->setObjectName(u"travelEvent"_s);
    m_event->setTextFormat(Qt::RichText);
    m_event->setWordWrap(true);
    m_event->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_reveal = new QToolButton(this);
    m_reveal->setObjectName(u"travelReveal"_s);
    m_reveal->setText(tr("Reveal in timeline"));
    m_reveal->setToolTip(tr("Show the event at the cursor in the timeline"));
    m_showStream = new QToolButton(this);
    m_showStream->setObjectName(u"travelShowStream"_s);
    m_showStream->setText(tr("Show stream"));
    m_showStream->setToolTip(tr("Filter the timeline to this stream and select it in the stream browser"));
    m_snapshot = new QLabel(this);
    m_snapshot->setObjectName(u"travelSnapshot"_s);
    m_snapshot->setStyleSheet(u"QLabel { background: #e3f2fd; color: #0d47a1; border: 1px solid #90caf9;"
                              " border-radius: 3px; padding: 1px 6px; }"_s);
    layout->addWidget(m_event);
    eventRow->addWidget(m_snapshot);
    eventRow->addWidget(m_reveal);
    eventRow->addWidget(m_showStream);
    layout->addLayout(eventRow);
    m_message = new QLabel(this);
    m_message->setObjectName(u"travelMessage"_s);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_message);

    // State | changes, blame, bisect
    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_tree = new JsonTreeWidget(m_splitter);
    m_tree->setObjectName(u"travelState"_s);
    m_tree->setToolTip(tr("The state at the cursor; fields the event at the cursor changed are highlighted"));
    m_blameAction = new QAction(tr("Go to the Event That Last Set This"), m_tree);
    m_blameAction->setObjectName(u"travelBlameAction"_s);
    m_blameAction->setShortcut(QKeySequence(u"Ctrl+B"_s));
    m_blameAction->setShortcutContext(Qt::WidgetShortcut);
    m_tree->insertAction(m_tree->actions().value(0), m_blameAction);
    m_tabs = new QTabWidget(m_splitter);
    m_tabs->setObjectName(u"travelTabs"_s);

    m_changes = new StateChangesModel(this);
    m_changesView = new QTableView(this);
    m_changesView->setObjectName(u"travelChanges"_s);
    m_changesView->setModel(m_changes);
    m_changesView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_changesView->verticalHeader()->hide();
    m_changesView->horizontalHeader()->setStretchLastSection(true);
    m_changesView->setAlternatingRowColors(true);
    m_changesView->setToolTip(tr("What the event at the cursor changed. Double-click a row to select it in the state"));
    m_tabs->addTab(m_changesView, tr("C&hanges"));

    auto *blamePage = new QWidget(this);
    auto *blameLayout = new QVBoxLayout(blamePage);
    m_blame = new QLabel(blamePage);
    m_blame->setObjectName(u"travelBlame"_s);
    m_blame->setWordWrap(true);
    m_blame->setTextFormat(Qt::RichText);
    m_blame->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_blameGo = new QPushButton(tr("Go to That Event"), blamePage);
    m_blameGo->setObjectName(u"travelBlameGo"_s);
    m_blameGo->setToolTip(tr("Move the cursor to the event that last set the selected field (Ctrl+B in the tree)"));
    m_blameHistory = new QListWidget(blamePage);
    m_blameHistory->setObjectName(u"travelBlameHistory"_s);
    m_blameHistory->setToolTip(tr("Every event that changed the selected field; double-click to go there"));
    blameLayout->addWidget(m_blame);
    blameLayout->addWidget(m_blameGo, 0, Qt::AlignLeft);
    blameLayout->addWidget(new QLabel(tr("Every change of this field:"), blamePage));
    blameLayout->addWidget(m_blameHistory, 1);
    m_tabs->addTab(blamePage, tr("&Blame"));

    auto *bisectPage = new QWidget(this);
    auto *bisectLayout = new QVBoxLayout(bisectPage);
    auto *explain = new QLabel(tr("A JavaScript function of the state. Find runs it on the initial state and after "
                                  "every event and stops at the first version where it returns a truthy value."),
                               bisectPage);
    explain->setWordWrap(true);
    m_predicate = new QLineEdit(bisectPage);
    m_predicate->setObjectName(u"travelPredicate"_s);
    m_predicate->setPlaceholderText(u"s => s.balance < 0"_s);
    m_predicate->setText(TravelSettings::predicate());
    m_predicate->setToolTip(tr("For example s => s.balance < 0 or s => s.closed && s.balance > 0"));
    QFont mono(u"monospace"_s);
    mono.setStyleHint(QFont::TypeWriter);
    m_predicate->setFont(mono);
    m_find = new QPushButton(tr("&Find First Version"), bisectPage);
    m_find->setObjectName(u"travelFind"_s);
    m_find->setToolTip(tr("Find the first version where the predicate holds, and move the cursor there (Enter)"));
    m_bisectResult = new QLabel(bisectPage);
    m_bisectResult->setObjectName(u"travelBisectResult"_s);
    m_bisectResult->setWordWrap(true);
    m_bisectResult->setTextFormat(Qt::RichText);
    m_bisectResult->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *predicateRow = new QHBoxLayout;
    predicateRow->addWidget(m_predicate, 1);
    predicateRow->addWidget(m_find);
    bisectLayout->addWidget(explain);
    bisectLayout->addLayout(predicateRow);
    bisectLayout->addWidget(m_bisectResult);
    bisectLayout->addStretch(1);
    m_tabs->addTab(bisectPage, tr("B&isect"));

    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    if (!m_splitter->restoreState(TravelSettings::splitter()))
        m_splitter->setSizes({420, 300});
    layout->addWidget(m_splitter, 1);

    m_playTimer = new QTimer(this);

    // Wiring
    connect(m_streamEdit, &QLineEdit::returnPressed, m_open, &QPushButton::click);
    connect(m_open, &QPushButton::clicked, this, [this] { openStream(m_streamEdit->text().trimmed(), -1); });
    connect(m_completer, qOverload<const QString &>(&QCompleter::activated), this,
            [this](const QString &s) { openStream(s, -1); });
    connect(m_firstAction, &QAction::triggered, this, &TimeTravelView::first);
    connect(m_backAction, &QAction::triggered, this, &TimeTravelView::stepBack);
    connect(m_forwardAction, &QAction::triggered, this, &TimeTravelView::stepForward);
    connect(m_lastAction, &QAction::triggered, this, &TimeTravelView::last);
    connect(m_playAction, &QAction::toggled, this, &TimeTravelView::setPlaying);
    connect(m_slider, &QSlider::valueChanged, this, [this](int v) { setVersion(v); });
    connect(m_versionSpin, &QSpinBox::valueChanged, this, [this](int v) { setVersion(v); });
    connect(m_positionSpin, &QSpinBox::editingFinished, this, [this] { setPosition(m_positionSpin->value()); });
    connect(m_timeEdit, &QDateTimeEdit::editingFinished, this, [this] { setTime(m_timeEdit->dateTime()); });
    connect(m_modeBox, &QComboBox::currentIndexChanged, this,
            [this](int i) { setCursorMode(static_cast<CursorMode>(i)); });
    connect(m_speed, &QSpinBox::valueChanged, this, [this](int s) {
        TravelSettings::setSpeed(s);
        m_playTimer->setInterval(1000 / qMax(1, s));
    });
    m_playTimer->setInterval(1000 / qMax(1, m_speed->value()));
    connect(m_playTimer, &QTimer::timeout, this, [this] {
        if (!m_history || m_version >= m_history->lastVersion()) {
            setPlaying(false);
            return;
        }
        setVersion(m_version + 1);
    });
    connect(m_reveal, &QToolButton::clicked, this, [this] {
        if (const RecordedEvent *e = m_history ? m_history->eventAt(m_version) : nullptr)
            Q_EMIT revealEventRequested(e->position);
    });
    connect(m_showStream, &QToolButton::clicked, this, [this] {
        if (m_history)
            Q_EMIT showStreamRequested(m_history->stream);
    });
    connect(m_cancel, &QToolButton::clicked, this, &TimeTravelView::cancelWork);
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this, [this] { showBlame(); });
    connect(m_tree->jsonModel(), &QAbstractItemModel::modelReset, this, [this] {
        // The selection model survives a reset; the current index does not.
        showBlame();
    });
    connect(m_blameAction, &QAction::triggered, this, &TimeTravelView::goToBlame);
    connect(m_blameGo, &QPushButton::clicked, this, &TimeTravelView::goToBlame);
    connect(m_blameHistory, &QListWidget::itemActivated, this,
            [this](QListWidgetItem *item) { setVersion(item->data(Qt::UserRole).toLongLong()); });
    connect(m_changesView, &QTableView::activated, this, [this](const QModelIndex &index) {
        const QModelIndex target = m_tree->jsonModel()->indexOfPath(m_changes->rowAt(index.row()).path);
        if (target.isValid()) {
            m_tree->setCurrentIndex(target);
            m_tree->scrollTo(target);
        }
    });
    connect(m_predicate, &QLineEdit::returnPressed, m_find, &QPushButton::click);
    connect(m_find, &QPushButton::clicked, this, &TimeTravelView::findFirstTrue);
    for (BackgroundJob *job : {m_historyJob, m_bisectJob}) {
        connect(job, &BackgroundJob::progress, this, [this](qint64 done, qint64 total, const QString &stage) {
            m_progress->setRange(0, total > 0 ? 1000 : 0);
            m_progress->setValue(total > 0 ? int(done * 1000 / total) : 0);
            m_progress->setFormat(stage + u" %p%"_s);
        });
    }
    m_modeBox->setCurrentIndex(qBound(0, TravelSettings::mode(), 2));
    setBusy(false, {});
}

void TimeTravelView::setSession(Session *session)
{
    if (m_session)
        disconnect(m_session, nullptr, this, nullptr);
    cancelWork();
    m_session = session;
    clearStream();
    refreshCompletion();
    if (m_session) {
        connect(m_session, &Session::eventsAppended, this, &TimeTravelView::onAppended);
        connect(m_session, &Session::packChanged, this, [this] {
            if (m_history)
                loadHistory(m_history->stream, m_version, false);
        });
    }
    updateEnabled();
}

void TimeTravelView::clearStream()
{
    setPlaying(false);
    m_history.reset();
    m_version = 0;
    m_pendingStream.clear();
    m_tree->clear();
    m_changes->setRows({});
    m_slider->setMarkers({});
    m_title->setText(m_session ? tr("<i>Choose a stream, or “Replay to here” on an event.</i>")
                               : tr("<i>No store open.</i>"));
    m_event->clear();
    m_snapshot->hide();
    m_message->clear();
    m_message->hide();
    m_blame->setText(tr("<i>Select a field of the state.</i>"));
    m_blameHistory->clear();
    m_bisectResult->clear();
    updateEnabled();
}

void TimeTravelView::refreshCompletion()
{
    QStringList names;
    if (m_session) {
        if (auto streams = m_session->store()->streams({}, 20000)) {
            names.reserve(streams->size());
            for (const StreamInfo &s : std::as_const(*streams))
                names << s.stream;
        }
    }
    NaturalSortProxy::sort(names);
    m_streamNames->setStringList(names);
}

void TimeTravelView::showReplay(const QString &stream, qint64 version)
{
    openStream(stream, version);
}

void TimeTravelView::openStream(const QString &stream, qint64 version)
{
    if (!m_session)
        return;
    if (stream.isEmpty()) {
        showMessage(tr("Type a stream id to travel through."), true);
        return;
    }
    if (!m_session->domain()) {
        showMessage(tr("Load a domain pack to replay aggregates."), true);
        return;
    }
    if (!m_session->store()->streamInfo(stream)) {
        showMessage(tr("There is no stream “%1” in this store.").arg(stream), true);
        return;
    }
    {
        const QSignalBlocker block(m_streamEdit);
        m_streamEdit->setText(stream);
    }
    if (m_history && m_history->stream == stream && !m_historyJob->isRunning()) {
        setVersion(version < 0 ? m_history->lastVersion() : version);
        return;
    }
    loadHistory(stream, version, false);
}

void TimeTravelView::loadHistory(const QString &stream, qint64 version, bool keepCursorAtEnd)
{
    setPlaying(false);
    const auto info = m_session->store()->streamInfo(stream);
    if (!info)
        return;
    m_pendingStream = stream;
    const bool small = info->version <= SynchronousLimit;
    const bool runInline = small || WorkerContext::mustRunInline(m_session->storePath());
    if (small) {
        // A few hundred events: on the GUI thread with the session's own objects.
        TimeTravel tt(m_session->store(), m_session->domain());
        auto h = tt.travelHistory(stream);
        if (!h) {
            showMessage(h.error().message, true);
            m_pendingStream.clear();
            return;
        }
        historyReady(std::move(*h), keepCursorAtEnd ? -1 : version);
        return;
    }
    auto result = std::make_shared<std::optional<Result<TravelHistory>>>();
    const QString storePath = m_session->storePath();
    const QString packPath = m_session->packPath();
    EventStore *sessionStore = m_session->store();
    Domain *sessionDomain = m_session->domain();
    setBusy(true, tr("Replaying %1").arg(stream));
    m_historyJob->start(
        [=](JobControl &control) {
            auto context = runInline ? Result<std::unique_ptr<WorkerContext>>(WorkerContext::borrow(sessionStore,
                                                                                                    sessionDomain))
                                     : WorkerContext::open(storePath, packPath);
            if (!context) {
                *result = Result<TravelHistory>(context.error());
                return;
            }
            TimeTravel tt((*context)->store(), (*context)->domain());
            const QString stage = QObject::tr("Replaying");
            *result = tt.travelHistory(stream, [&](qint64 d, qint64 t) { return control.progress(d, t, stage); });
        },
        [this, result, version, keepCursorAtEnd, stream](bool cancelled) {
            setBusy(m_bisectJob->isRunning(), {});
            m_pendingStream.clear();
            if (cancelled || !result->has_value()) {
                showMessage(tr("Loading %1 was cancelled.").arg(stream));
                return;
            }
            if (!**result) {
                showMessage((*result)->error().message, true);
                return;
            }
            historyReady(std::move(***result), keepCursorAtEnd ? -1 : version);
        },
        runInline);
}

void TimeTravelView::historyReady(TravelHistory history, qint64 version)
{
    m_history = std::move(history);
    m_pendingStream.clear();
    const qint64 last = m_history->lastVersion();
    QString title = tr("<b>%1</b> &nbsp;%2 &middot; %3 events").arg(m_history->stream.toHtmlEscaped(),
                                                                     m_history->aggregate.toHtmlEscaped())
                        .arg(last);
    if (!m_history->snapshotVersions.isEmpty())
        title += tr(" &middot; %n snapshot(s)", nullptr, int(m_history->snapshotVersions.size()));
    m_title->setText(title);
    {
        const QSignalBlocker a(m_slider);
        const QSignalBlocker b(m_versionSpin);
        const QSignalBlocker c(m_positionSpin);
        m_slider->setRange(0, int(last));
        m_slider->setTickInterval(qMax<int>(1, int(last / 20)));
        m_versionSpin->setRange(0, int(last));
        m_positionSpin->setRange(0, int(qMax<qint64>(m_session ? m_session->head() : 0,
                                                     last > 0 ? m_history->steps.constLast().event.position : 0)));
    }
    m_slider->setMarkers(m_history->snapshotVersions, m_history->mismatchedSnapshots);
    if (!m_history->mismatchedSnapshots.isEmpty()) {
        QStringList vs;
        for (qint64 v : std::as_const(m_history->mismatchedSnapshots))
            vs << QString::number(v);
        showMessage(tr("Warning: the snapshot(s) at version %1 differ from the state replayed from events: "
                       "loads that start from them see another state.")
                        .arg(vs.join(u", "_s)),
                    true);
    } else {
        m_message->hide();
    }
    m_bisectResult->clear();
    m_version = -1; // force a redraw
    setVersion(version < 0 ? last : version);
    updateEnabled();
    Q_EMIT historyLoaded(m_history->stream);
}

QJsonObject TimeTravelView::state() const
{
    return m_history ? m_history->stateAt(m_version) : QJsonObject();
}

bool TimeTravelView::isBusy() const
{
    return m_historyJob->isRunning() || m_bisectJob->isRunning();
}

void TimeTravelView::setVersion(qint64 version)
{
    if (!m_history)
        return;
    version = qBound<qint64>(0, version, m_history->lastVersion());
    if (version == m_version)
        return;
    m_version = version;
    showCursor();
    Q_EMIT cursorChanged(m_history->stream, m_version);
}

void TimeTravelView::setPosition(qint64 position)
{
    if (m_history)
        setVersion(m_history->versionAtPosition(position));
}

void TimeTravelView::setTime(const QDateTime &time)
{
    if (m_history)
        setVersion(m_history->versionAtTime(time.toMSecsSinceEpoch()));
}

void TimeTravelView::setCursorMode(CursorMode mode)
{
    m_mode = mode;
    {
        const QSignalBlocker block(m_modeBox);
        m_modeBox->setCurrentIndex(int(mode));
    }
    m_cursorStack->setCurrentIndex(int(mode));
    TravelSettings::setMode(int(mode));
}

void TimeTravelView::stepBack()
{
    setVersion(m_version - 1);
}

void TimeTravelView::stepForward()
{
    setVersion(m_version + 1);
}

void TimeTravelView::first()
{
    setVersion(0);
}

void TimeTravelView::last()
{
    if (m_history)
        setVersion(m_history->lastVersion());
}

void TimeTravelView::setPlaying(bool playing)
{
    if (playing && (!m_history || m_history->lastVersion() == 0))
        playing = false;
    if (playing && m_version >= m_history->lastVersion())
        setVersion(0); // play again from the start
    {
        const QSignalBlocker block(m_playAction);
        m_playAction->setChecked(playing);
        m_playAction->setIcon(style()->standardIcon(playing ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
    }
    if (playing)
        m_playTimer->start();
    else
        m_playTimer->stop();
}

void TimeTravelView::showCursor()
{
    const TravelHistory &h = *m_history;
    {
        const QSignalBlocker a(m_slider);
        const QSignalBlocker b(m_versionSpin);
        const QSignalBlocker c(m_positionSpin);
        const QSignalBlocker d(m_timeEdit);
        m_slider->setValue(int(m_version));
        m_versionSpin->setValue(int(m_version));
        const RecordedEvent *e = h.eventAt(m_version);
        m_positionSpin->setValue(e ? int(e->position) : 0);
        if (e)
            m_timeEdit->setDateTime(e->recorded());
        else if (const RecordedEvent *firstEvent = h.eventAt(1))
            m_timeEdit->setDateTime(firstEvent->recorded().addMSecs(-1));
    }
    const QString previousPath = m_tree->currentPath();
    const RecordedEvent *e = h.eventAt(m_version);
    if (e) {
        const QJsonObject &before = h.steps.at(m_version - 1).before;
        const QJsonObject &after = h.steps.at(m_version - 1).after;
        m_tree->setJson(after, before);
        m_changes->setRows(diffStates(before, after));
        const QString actor = e->metadataObject().value(meta::Actor).toString();
        m_event->setText(tr("<b>v%1</b> of %2 &middot; <b>%3</b> &middot; position #%4 &middot; %5 UTC%6")
                             .arg(m_version)
                             .arg(h.lastVersion())
                             .arg(e->type.toHtmlEscaped())
                             .arg(e->position)
                             .arg(timeText(e->recordedMs))
                             .arg(actor.isEmpty() ? QString() : tr(" &middot; by %1").arg(actor.toHtmlEscaped())));
    } else {
        m_tree->setJson(h.initial);
        m_changes->setRows({});
        m_event->setText(tr("<b>v0</b> of %1 &middot; the initial state, before any event").arg(h.lastVersion()));
    }
    m_changesView->resizeColumnsToContents();
    if (!previousPath.isEmpty()) {
        const QModelIndex again = m_tree->jsonModel()->indexOfPath(previousPath);
        if (again.isValid())
            m_tree->setCurrentIndex(again);
    }
    const qint64 snap = h.snapshotFor(m_version);
    if (snap > 0) {
        const bool mismatch = h.mismatchedSnapshots.contains(snap);
        m_snapshot->setText(snap == m_version ? tr("◆ Snapshot at this version") : tr("◆ Snapshot v%1 + %n event(s)", nullptr, int(m_version - snap)).arg(snap));
        m_snapshot->setToolTip(tr("Loading this version starts from the snapshot stored at version %1, then applies "
                                  "the events after it.%2")
                                   .arg(snap)
                                   .arg(mismatch ? tr(" This snapshot differs from the replayed state!") : QString()));
        m_snapshot->show();
    } else {
        m_snapshot->setToolTip({});
        m_snapshot->hide();
    }
    m_reveal->setEnabled(e != nullptr);
    m_backAction->setEnabled(m_version > 0);
    m_firstAction->setEnabled(m_version > 0);
    m_forwardAction->setEnabled(m_version < h.lastVersion());
    m_lastAction->setEnabled(m_version < h.lastVersion());
    showBlame();
}

void TimeTravelView::showBlame()
{
    m_blameHistory->clear();
    if (!m_history) {
        m_blameGo->setEnabled(false);
        return;
    }
    const QModelIndex current = m_tree->currentIndex();
    const QString path = m_tree->currentPath();
    if (!current.isValid() || path.isEmpty()) {
        m_blame->setText(tr("<i>Select a field of the state to see which event last set it.</i>"));
        m_blameGo->setEnabled(false);
        m_blameAction->setEnabled(false);
        return;
    }
    const auto change = m_tree->jsonModel()->changeOf(current.siblingAtColumn(0));
    const BlameEntry entry = m_history->blame.blame(path, m_version);
    QString text;
    if (change == JsonTreeModel::Change::Removed)
        text = tr("<b>%1</b> was removed by the event at the cursor (v%2).").arg(path.toHtmlEscaped()).arg(m_version);
    else if (entry.isInitial())
        text = tr("<b>%1</b> still has its initial value: no event has set it.").arg(path.toHtmlEscaped());
    else
        text = tr("<b>%1</b> was last set by <b>%2</b>.").arg(path.toHtmlEscaped(), describeEntry(entry).toHtmlEscaped());
    m_blame->setText(text);
    m_blameGo->setEnabled(!entry.isInitial() && change != JsonTreeModel::Change::Removed);
    m_blameGo->setText(entry.isInitial() ? tr("Go to That Event") : tr("Go to v%1").arg(entry.version));
    m_blameAction->setEnabled(m_blameGo->isEnabled());
    // A field set by thousands of events: the changes around the cursor.
    const QList<qint64> versions = m_history->blame.versionsOf(path);
    constexpr qsizetype Window = 500;
    const qsizetype at = std::upper_bound(versions.cbegin(), versions.cend(), m_version) - versions.cbegin();
    const qsizetype from = qMax<qsizetype>(0, at - Window);
    const qsizetype to = qMin<qsizetype>(versions.size(), at + Window);
    QListWidgetItem *blamed = nullptr;
    for (qsizetype i = from; i < to; ++i) {
        const qint64 v = versions.at(i);
        const RecordedEvent *e = m_history->eventAt(v);
        if (!e)
            continue;
        auto *item = new QListWidgetItem(u"v%1  %2  %3 UTC%4"_s.arg(v).arg(e->type, timeText(e->recordedMs),
                                                                           v > m_version ? tr("  (after the cursor)")
                                                                                         : QString()),
                                         m_blameHistory);
        item->setData(Qt::UserRole, v);
        if (v == entry.version)
            blamed = item;
        if (v > m_version)
            item->setForeground(palette().color(QPalette::Disabled, QPalette::Text));
    }
    if (blamed) {
        m_blameHistory->setCurrentItem(blamed);
        m_blameHistory->scrollToItem(blamed, QAbstractItemView::PositionAtCenter);
    }
}

void TimeTravelView::goToBlame()
{
    if (!m_history)
        return;
    const QString path = m_tree->currentPath();
    if (path.isEmpty())
        return;
    const BlameEntry entry = m_history->blame.blame(path, m_version);
    if (!entry.isInitial())
        setVersion(entry.version);
}

void TimeTravelView::findFirstTrue()
{
    if (!m_history) {
        m_bisectResult->setText(tr("<i>Open a stream first.</i>"));
        return;
    }
    const QString source = m_predicate->text();
    // Compiled here first so a typo is reported at once; the worker compiles its own copy.
    if (auto check = StatePredicate::compile(source); !check) {
        m_bisectResult->setText(u"<span style='color:#c62828'>%1</span>"_s.arg(check.error().message.toHtmlEscaped()));
        Q_EMIT bisectFinished(false, -1, check.error().message);
        return;
    }
    TravelSettings::setPredicate(source);
    const QJsonObject initial = m_history->initial;
    const QList<HistoryStep> steps = m_history->steps; // shared, read-only in the worker
    const QString stream = m_history->stream;
    auto outcome = std::make_shared<BisectOutcome>();
    m_bisectResult->setText(tr("<i>Searching…</i>"));
    setBusy(true, tr("Bisect"));
    m_bisectJob->start(
        [=](JobControl &control) {
            auto predicate = StatePredicate::compile(source);
            if (!predicate) {
                outcome->error = predicate.error();
                return;
            }
            const QString stage = QObject::tr("Testing");
            auto r = Bisect::firstTrue(initial, steps, **predicate,
                                       [&](qint64 d, qint64 t) { return control.progress(d, t, stage); });
            if (r)
                outcome->result = *r;
            else
                outcome->error = r.error();
        },
        [this, outcome, stream](bool cancelled) {
            setBusy(m_historyJob->isRunning(), {});
            if (!m_history || m_history->stream != stream)
                return;
            if (cancelled || outcome->error.code == ErrorCode::Cancelled) {
                m_bisectResult->setText(tr("<i>Cancelled.</i>"));
                Q_EMIT bisectFinished(false, -1, tr("cancelled"));
                return;
            }
            if (!outcome->result) {
                m_bisectResult->setText(
                    u"<span style='color:#c62828'>%1</span>"_s.arg(outcome->error.message.toHtmlEscaped()));
                Q_EMIT bisectFinished(false, -1, outcome->error.message);
                return;
            }
            const BisectResult &r = *outcome->result;
            if (!r.found) {
                const QString text = tr("Never true: tested the initial state and all %1 versions.").arg(r.total - 1);
                m_bisectResult->setText(text);
                Q_EMIT bisectFinished(false, -1, text);
                return;
            }
            const QString text = r.version == 0
                                     ? tr("True from the start: the initial state already satisfies it.")
                                     : tr("First true at <b>v%1</b>, after <b>%2</b> (#%3, %4 UTC).")
                                           .arg(r.version)
                                           .arg(r.eventType.toHtmlEscaped())
                                           .arg(r.position)
                                           .arg(timeText(r.recordedMs));
            m_bisectResult->setText(text);
            setVersion(r.version);
            Q_EMIT bisectFinished(true, r.version, text);
        });
}

void TimeTravelView::cancelWork()
{
    m_historyJob->cancel();
    m_bisectJob->cancel();
}

void TimeTravelView::onAppended(const EventList &events)
{
    bool mine = false;
    bool newStream = false;
    for (const RecordedEvent &e : events) {
        if (m_history && e.stream == m_history->stream)
            mine = true;
        if (e.version == 1)
            newStream = true;
    }
    if (newStream)
        refreshCompletion();
    if (mine && !m_historyJob->isRunning()) {
        const bool atEnd = m_version >= m_history->lastVersion();
        loadHistory(m_history->stream, m_version, atEnd);
    }
}

void TimeTravelView::showMessage(const QString &text, bool error)
{
    m_message->setText(text);
    m_message->setStyleSheet(error ? u"color: #c62828;"_s : QString());
    m_message->setVisible(!text.isEmpty());
}

void TimeTravelView::setBusy(bool busy, const QString &stage)
{
    m_progress->setVisible(busy);
    m_cancel->setVisible(busy);
    if (busy) {
        m_progress->setRange(0, 0);
        m_progress->setFormat(stage);
    }
    m_find->setEnabled(!m_bisectJob->isRunning() || !busy);
}

void TimeTravelView::updateEnabled()
{
    const bool open = m_session != nullptr;
    const bool loaded = m_history.has_value();
    m_streamEdit->setEnabled(open);
    m_open->setEnabled(open);
    for (QWidget *w : std::initializer_list<QWidget *>{m_slider, m_modeBox, m_cursorStack, m_speed, m_find, m_predicate})
        w->setEnabled(loaded);
    for (QAction *a : {m_firstAction, m_backAction, m_playAction, m_forwardAction, m_lastAction})
        a->setEnabled(loaded);
    if (loaded) {
        m_backAction->setEnabled(m_version > 0);
        m_firstAction->setEnabled(m_version > 0);
        m_forwardAction->setEnabled(m_version < m_history->lastVersion());
        m_lastAction->setEnabled(m_version < m_history->lastVersion());
    }
    m_reveal->setEnabled(loaded && m_version > 0);
    m_showStream->setEnabled(loaded);
}

} // namespace es
