#include "pipelineview.h"

#include "common/teardown.h"
#include "pipelinediagram.h"
#include "pipelineflowmodel.h"
#include "pipelineplayer.h"
#include "session.h"

#include <QAction>
#include <QEvent>
#include <QFormLayout>
#include <QGraphicsView>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QScrollBar>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QStyle>
#include <QTableView>
#include <QToolBar>
#include <QWheelEvent>
#include <QVBoxLayout>

#include <cmath>

using namespace Qt::StringLiterals;

namespace es {

namespace {

// The view's remembered choices, in one place.
struct PipelineSettings {
    static QString key(const char *name) { return u"pipelineView/"_s + QLatin1StringView(name); }
    static double speed() { return QSettings().value(key("speed"), 1.0).toDouble(); }
    static void setSpeed(double s) { QSettings().setValue(key("speed"), s); }
    static bool playing() { return QSettings().value(key("playing"), true).toBool(); }
    static void setPlaying(bool p) { QSettings().setValue(key("playing"), p); }
    static QByteArray splitter() { return QSettings().value(key("splitter")).toByteArray(); }
    static void setSplitter(const QByteArray &s) { QSettings().setValue(key("splitter"), s); }
};

constexpr int MaxRemembered = 4096;

int speedIndex(double factor)
{
    int best = 0;
    for (int i = 0; i < int(std::size(PipelineView::Speeds)); ++i)
        if (std::abs(std::log2(PipelineView::Speeds[i] / factor)) <
            std::abs(std::log2(PipelineView::Speeds[best] / factor)))
            best = i;
    return best;
}

QString speedText(double factor)
{
    return factor < 1 ? u"%1×"_s.arg(factor, 0, 'g', 2) : u"%1×"_s.arg(int(factor));
}

} // namespace

PipelineView::PipelineView(QWidget *parent)
    : QWidget(parent)
    , m_player(new PipelinePlayer(this))
    , m_diagram(new PipelineDiagram(this))
    , m_flows(new PipelineFlowModel(this))
{
    m_player->setSuspended(true); // until shown

    auto *bar = new QToolBar(this);
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->setIconSize(QSize(16, 16));
    m_playAction = bar->addAction(style()->standardIcon(QStyle::SP_MediaPause), tr("Pause"));
    m_playAction->setObjectName(u"playPause"_s);
    m_playAction->setShortcut(QKeySequence(Qt::Key_Space));
    m_playAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(m_playAction, &QAction::triggered, this, &PipelineView::togglePlaying);
    m_stepAction = bar->addAction(style()->standardIcon(QStyle::SP_MediaSkipForward), tr("Step"));
    m_stepAction->setObjectName(u"step"_s);
    m_stepAction->setShortcuts({QKeySequence(Qt::Key_N), QKeySequence(Qt::Key_Period)});
    m_stepAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_stepAction->setToolTip(tr("Advance the command one stage (N); pauses the animation"));
    connect(m_stepAction, &QAction::triggered, this, &PipelineView::step);
    m_clearAction = bar->addAction(style()->standardIcon(QStyle::SP_DialogResetButton), tr("Clear"));
    m_clearAction->setObjectName(u"clear"_s);
    m_clearAction->setShortcut(QKeySequence(u"Ctrl+Backspace"_s));
    m_clearAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_clearAction->setToolTip(tr("Forget the queued and recent flows (Ctrl+Backspace)"));
    connect(m_clearAction, &QAction::triggered, this, &PipelineView::clear);
    bar->addSeparator();
    auto *speedTitle = new QLabel(tr("Speed"), bar);
    speedTitle->setContentsMargins(4, 0, 4, 0);
    bar->addWidget(speedTitle);
    m_speed = new QSlider(Qt::Horizontal, bar);
    m_speed->setObjectName(u"speed"_s);
    m_speed->setRange(0, int(std::size(Speeds)) - 1);
    m_speed->setPageStep(1);
    m_speed->setTickPosition(QSlider::TicksBelow);
    m_speed->setFixedWidth(120);
    m_speed->setToolTip(tr("How fast tokens travel (+ / −). The stage times shown are the real ones."));
    bar->addWidget(m_speed);
    m_speedLabel = new QLabel(bar);
    m_speedLabel->setMinimumWidth(36);
    m_speedLabel->setContentsMargins(6, 0, 6, 0);
    bar->addWidget(m_speedLabel);
    auto *faster = new QAction(tr("Faster"), this);
    faster->setShortcuts({QKeySequence(Qt::Key_Plus), QKeySequence(Qt::Key_Equal)});
    faster->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(faster, &QAction::triggered, this, [this] { m_speed->setValue(m_speed->value() + 1); });
    auto *slower = new QAction(tr("Slower"), this);
    slower->setShortcut(QKeySequence(Qt::Key_Minus));
    slower->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(slower, &QAction::triggered, this, [this] { m_speed->setValue(m_speed->value() - 1); });
    addActions({m_playAction, m_stepAction, m_clearAction, faster, slower});
    bar->addSeparator();
    // Fit (the default) scales the diagram to the canvas, but never below a
    // readable size: the canvas scrolls then. Zoom from there, or Ctrl+wheel.
    auto *fitAction = bar->addAction(tr("Fit"));
    fitAction->setObjectName(u"zoomFit"_s);
    fitAction->setShortcut(QKeySequence(u"Ctrl+0"_s));
    fitAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    fitAction->setToolTip(tr("Fit the diagram to the canvas, keeping labels readable (Ctrl+0)"));
    connect(fitAction, &QAction::triggered, this, [this] { setZoom(1.0); });
    auto *zoomIn = bar->addAction(tr("+"));
    zoomIn->setObjectName(u"zoomIn"_s);
    zoomIn->setShortcut(QKeySequence::ZoomIn);
    zoomIn->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    zoomIn->setToolTip(tr("Zoom in (Ctrl++, or Ctrl+wheel)"));
    connect(zoomIn, &QAction::triggered, this, [this] { setZoom(m_zoom * 1.25); });
    auto *zoomOut = bar->addAction(tr("−"));
    zoomOut->setObjectName(u"zoomOut"_s);
    zoomOut->setShortcut(QKeySequence::ZoomOut);
    zoomOut->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    zoomOut->setToolTip(tr("Zoom out (Ctrl+−, or Ctrl+wheel)"));
    connect(zoomOut, &QAction::triggered, this, [this] { setZoom(m_zoom / 1.25); });
    addActions({fitAction, zoomIn, zoomOut});
    auto *spacer = new QWidget(bar);
    spacer->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    bar->addWidget(spacer);
    m_status = new QLabel(bar);
    m_status->setObjectName(u"pipelineStatus"_s);
    m_status->setContentsMargins(6, 0, 6, 0);
    bar->addWidget(m_status);

    m_canvas = new QGraphicsView(m_diagram, this);
    m_canvas->setObjectName(u"pipelineCanvas"_s);
    m_canvas->setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing | QPainter::SmoothPixmapTransform);
    m_canvas->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    m_canvas->setVerticalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    m_canvas->setFrameShape(QFrame::NoFrame);
    m_canvas->setViewportUpdateMode(QGraphicsView::SmartViewportUpdate);
    m_canvas->installEventFilter(this);
    m_canvas->viewport()->installEventFilter(this); // Ctrl+wheel
    m_canvas->setMinimumSize(240, 120);

    auto *side = new QWidget(this);
    auto *sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(4, 0, 0, 0);
    auto *recent = new QLabel(tr("<b>Recent flows</b>"), side);
    recent->setToolTip(tr("The commands seen, newest last. Click one to show its first event."));
    sideLayout->addWidget(recent);
    m_table = new QTableView(side);
    m_table->setObjectName(u"pipelineFlows"_s);
    m_table->setModel(m_flows);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setColumnHidden(PipelineFlowModel::StreamColumn, false);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    QHeaderView *h = m_table->horizontalHeader();
    h->resizeSection(PipelineFlowModel::SerialColumn, 28);
    h->resizeSection(PipelineFlowModel::CommandColumn, 128);
    h->resizeSection(PipelineFlowModel::StreamColumn, 72);
    h->resizeSection(PipelineFlowModel::ResultColumn, 118);
    h->resizeSection(PipelineFlowModel::TimeColumn, 58);
    connect(m_table, &QTableView::clicked, this, [this](const QModelIndex &index) {
        const qint64 position = index.data(PipelineFlowModel::FirstPositionRole).toLongLong();
        if (position > 0)
            Q_EMIT revealEventRequested(position);
    });
    sideLayout->addWidget(m_table, 1);

    m_delayBox = new QGroupBox(tr("Eventual consistency"), side);
    m_delayBox->setToolTip(tr("An artificial delay before each projection applies an event: "
                              "queries read stale data for that long."));
    m_delayForm = new QFormLayout(m_delayBox);
    m_delayForm->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    sideLayout->addWidget(m_delayBox);

    auto *legend = new QLabel(side);
    legend->setObjectName(u"pipelineLegend"_s);
    legend->setWordWrap(true);
    legend->setTextFormat(Qt::RichText);
    legend->setText(tr("<span style='color:%1'>●</span> command &nbsp; <span style='color:%2'>●</span> issued by a "
                       "reaction &nbsp; <span style='color:%3'>●</span> another process<br>"
                       "badge: the stage's real time &nbsp; <span style='color:#bf360c'>✘</span> rejected &nbsp; "
                       "<span style='color:#5e35b1'>⚠</span> conflict &nbsp; <span style='color:#c62828'>‼</span> "
                       "failed<br>Space: play/pause · N: step · +/−: speed")
                        .arg(u"#1565c0"_s, u"#ef6c00"_s, u"#546e7a"_s));
    sideLayout->addWidget(legend);

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->setObjectName(u"pipelineSplitter"_s);
    split->addWidget(m_canvas);
    split->addWidget(side);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setChildrenCollapsible(false);
    if (!split->restoreState(PipelineSettings::splitter()))
        split->setSizes({1000, 420});
    connect(split, &QSplitter::splitterMoved, this, [split] { PipelineSettings::setSplitter(split->saveState()); });

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(bar);
    layout->addWidget(split, 1);

    connect(m_player, &PipelinePlayer::hopChanged, this, &PipelineView::onHop);
    connect(m_player, &PipelinePlayer::flowStarted, this, [this] { m_diagram->setMessage({}); });
    connect(m_player, &PipelinePlayer::queueChanged, this, [this](int queued, int skipped) {
        m_diagram->setQueueInfo(queued, skipped);
        updateControls();
    });
    connect(m_player, &PipelinePlayer::flowFinished, this, [this] { updateControls(); });
    connect(m_player, &PipelinePlayer::playingChanged, this, [this](bool playing) {
        PipelineSettings::setPlaying(playing);
        updateControls();
    });
    connect(m_speed, &QSlider::valueChanged, this, [this](int i) {
        const double s = Speeds[qBound(0, i, int(std::size(Speeds)) - 1)];
        m_player->setSpeed(s);
        m_speedLabel->setText(speedText(s));
        PipelineSettings::setSpeed(s);
    });

    m_externalTimer.setSingleShot(true);
    m_externalTimer.setInterval(30);
    connect(&m_externalTimer, &QTimer::timeout, this, &PipelineView::processExternal);

    const double savedSpeed = PipelineSettings::speed();
    m_speed->setValue(speedIndex(savedSpeed));
    m_player->setSpeed(Speeds[m_speed->value()]);
    m_speedLabel->setText(speedText(Speeds[m_speed->value()]));
    m_player->setPlaying(PipelineSettings::playing());
    rebuild();
}

PipelineView::~PipelineView()
{
    disconnectDescendants(this);
}

void PipelineView::setSession(Session *session)
{
    if (m_session)
        disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    m_player->clear();
    m_flows->clear();
    m_localCommands.clear();
    m_localOrder.clear();
    m_knownEvents.clear();
    m_knownOrder.clear();
    m_pendingExternal.clear();
    if (m_session) {
        connect(m_session, &Session::commandExecuted, this, &PipelineView::onCommandExecuted);
        connect(m_session, &Session::eventsAppended, this, &PipelineView::onEventsAppended);
        connect(m_session, &Session::packChanged, this, &PipelineView::rebuild);
    }
    rebuild();
}

void PipelineView::rebuild()
{
    const DomainInfo *info = m_session && m_session->domain() ? &m_session->domain()->info() : nullptr;
    m_player->clear();
    m_diagram->setDomain(info);
    if (!m_session)
        m_diagram->setMessage(tr("Open a store to watch its commands travel through the pipeline."));
    else if (!info)
        m_diagram->setMessage(tr("Load a domain pack to send commands; commands other processes log show here too."));
    else
        m_diagram->setMessage(tr("Send a command (Command Console) to watch it travel through the pipeline."));
    rebuildDelays();
    updateControls();
    fit();
}

void PipelineView::rebuildDelays()
{
    while (m_delayForm->rowCount() > 0)
        m_delayForm->removeRow(0);
    m_delaySpins.clear();
    const DomainInfo *info = m_session && m_session->domain() ? &m_session->domain()->info() : nullptr;
    if (!info || info->projections.isEmpty()) {
        auto *none = new QLabel(info ? tr("This pack has no projections.") : tr("No pack loaded."), m_delayBox);
        none->setEnabled(false);
        m_delayForm->addRow(none);
        return;
    }
    for (const ProjectionSpec &p : info->projections) {
        auto *spin = new QSpinBox(m_delayBox);
        spin->setObjectName(u"delay:"_s + p.name);
        spin->setRange(0, 60000);
        spin->setSingleStep(250);
        spin->setSuffix(tr(" ms"));
        spin->setSpecialValueText(tr("none"));
        spin->setKeyboardTracking(false);
        spin->setAccelerated(true);
        spin->setToolTip(tr("Delay before %1 applies each event (0: as soon as it is published)").arg(p.name));
        const int initial = qMax(0, p.definition.value(u"delayMs"_s).toInt());
        spin->setValue(initial);
        m_player->setProjectionDelay(p.name, initial);
        m_diagram->setProjectionDelay(p.name, initial);
        const QString name = p.name;
        connect(spin, &QSpinBox::valueChanged, this, [this, name](int ms) {
            m_player->setProjectionDelay(name, ms);
            m_diagram->setProjectionDelay(name, ms);
            Q_EMIT projectionDelayRequested(name, ms);
        });
        m_delaySpins.insert(p.name, spin);
        m_delayForm->addRow(p.name, spin);
    }
}

void PipelineView::setProjectionDelay(const QString &projection, int delayMs)
{
    m_player->setProjectionDelay(projection, delayMs);
    m_diagram->setProjectionDelay(projection, delayMs);
    if (QSpinBox *spin = m_delaySpins.value(projection)) {
        const QSignalBlocker block(spin);
        spin->setValue(delayMs);
    }
}

int PipelineView::projectionDelay(const QString &projection) const
{
    QSpinBox *spin = m_delaySpins.value(projection);
    return spin ? spin->value() : 0;
}

void PipelineView::rememberCommand(const QString &commandId)
{
    if (commandId.isEmpty() || m_localCommands.contains(commandId))
        return;
    m_localCommands.insert(commandId);
    m_localOrder.append(commandId);
    while (m_localOrder.size() > MaxRemembered)
        m_localCommands.remove(m_localOrder.takeFirst());
}

void PipelineView::onCommandExecuted(const CommandResult &result)
{
    if (!m_session)
        return;
    rememberCommand(result.record.commandId);
    const DomainInfo *info = m_session->domain() ? &m_session->domain()->info() : nullptr;
    addFlow(PipelineTrace::fromResult(result, info), result.events, false);
}

void PipelineView::addFlow(PipelineTrace trace, const EventList &events, bool external)
{
    if (trace.issuedByReaction()) {
        if (const auto it = m_knownEvents.constFind(trace.causationId); it != m_knownEvents.constEnd()) {
            trace.causationPosition = it->position;
            trace.causationType = it->type;
        }
    }
    for (const RecordedEvent &e : events) {
        if (m_knownEvents.contains(e.eventId))
            continue;
        m_knownEvents.insert(e.eventId, {e.position, e.type});
        m_knownOrder.append(e.eventId);
    }
    while (m_knownOrder.size() > MaxRemembered)
        m_knownEvents.remove(m_knownOrder.takeFirst());

    const bool atBottom = m_table->verticalScrollBar()->value() >= m_table->verticalScrollBar()->maximum() - 2;
    const int serial = m_player->enqueue(trace, external);
    m_flows->append({serial, external, trace});
    if (atBottom)
        m_table->scrollToBottom();
    updateControls();
}

void PipelineView::onEventsAppended(const EventList &events)
{
    // This process's own commands announce their events before commandExecuted:
    // look at them once the command has finished, to tell them from others'.
    m_pendingExternal.append(events);
    if (!m_externalTimer.isActive())
        m_externalTimer.start();
}

void PipelineView::processExternal()
{
    const EventList events = std::exchange(m_pendingExternal, {});
    if (!m_session || events.isEmpty())
        return;
    const DomainInfo *info = m_session->domain() ? &m_session->domain()->info() : nullptr;
    // Another process's commands, each with the events it wrote, in order.
    QList<QPair<QString, EventList>> commands;
    for (const RecordedEvent &e : events) {
        const QString id = e.metadataObject().value(meta::CommandId).toString();
        if (id.isEmpty() || m_localCommands.contains(id))
            continue;
        if (commands.isEmpty() || commands.constLast().first != id)
            commands.append({id, {}});
        commands.last().second.append(e);
    }
    int skipped = 0;
    for (const auto &[id, written] : std::as_const(commands)) {
        if (!m_player->hasRoom(true)) {
            ++skipped;
            continue;
        }
        CommandRecord record;
        if (auto logged = m_session->store()->command(id)) {
            record = *logged;
        } else {
            // Events without a command-log row (imported): what they say is all there is.
            const RecordedEvent &first = written.constFirst();
            record.commandId = id;
            record.type = first.type;
            record.stream = first.stream;
            record.metadata = first.metadataObject();
            record.firstPosition = first.position;
            record.lastPosition = written.constLast().position;
        }
        addFlow(PipelineTrace::fromRecord(record, written, info), written, true);
    }
    m_player->addSkipped(skipped);
}

void PipelineView::onHop(int serial, int hop)
{
    const PipelinePlayer::Flow *flow = m_player->current();
    if (!flow || flow->serial != serial)
        return;
    const bool animate = isVisible() && !m_player->isSuspended();
    QHash<QString, int> extra;
    if (animate) {
        for (const PipelineNodeRef &n : flow->hops.value(hop))
            if (n.node == PipelineNode::Projection)
                extra.insert(n.key(), int(qMin(PipelinePlayer::MaxShownDelayMs, m_player->projectionDelay(n.name)) /
                                          m_player->speed()));
    }
    m_diagram->showHop(*flow, hop, animate ? m_player->travelMs() : 0, extra);
    updateControls();
}

QString PipelineView::currentStage() const
{
    const QList<PipelineNodeRef> nodes = m_player->currentNodes();
    return nodes.isEmpty() ? QString() : nodes.constFirst().key();
}

QList<PipelineNodeRef> PipelineView::currentNodes() const
{
    return m_player->currentNodes();
}

double PipelineView::speed() const
{
    return m_player->speed();
}

void PipelineView::play()
{
    m_player->setPlaying(true);
}

void PipelineView::pause()
{
    m_player->setPlaying(false);
}

void PipelineView::togglePlaying()
{
    m_player->setPlaying(!m_player->isPlaying());
}

void PipelineView::step()
{
    m_player->step();
    updateControls();
}

void PipelineView::clear()
{
    m_player->clear();
    m_flows->clear();
    m_diagram->resetFlow();
    updateControls();
}

void PipelineView::setSpeed(double factor)
{
    m_speed->setValue(speedIndex(factor));
}

void PipelineView::updateControls()
{
    const bool playing = m_player->isPlaying();
    m_playAction->setText(playing ? tr("Pause") : tr("Play"));
    m_playAction->setIcon(style()->standardIcon(playing ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
    m_playAction->setToolTip(playing ? tr("Pause the animation (Space); then step stage by stage (N)")
                                     : tr("Play the animation (Space)"));
    m_stepAction->setEnabled(m_player->canStep());
    m_clearAction->setEnabled(m_player->current() || m_flows->rowCount() > 0);
    QStringList parts;
    parts << (playing ? tr("playing") : tr("paused: step with N"));
    if (m_player->queued() > 0)
        parts << tr("%n queued", nullptr, m_player->queued());
    if (m_player->skipped() > 0)
        parts << tr("+%1 skipped").arg(m_player->skipped());
    m_status->setText(parts.join(u" · "_s));
}

void PipelineView::setZoom(double zoom)
{
    m_zoom = std::clamp(zoom, 0.25, 8.0);
    fit();
}

double PipelineView::scale() const
{
    return m_canvas->transform().m11();
}

void PipelineView::fit()
{
    const QRectF content = m_diagram->contentRect();
    if (content.isEmpty())
        return;
    const QSize viewport = m_canvas->maximumViewportSize();
    const double fitScale = std::min(viewport.width() / content.width(), viewport.height() / content.height());
    // Below this the node labels are smaller than about 8 px: scroll instead.
    constexpr double ReadableScale = 0.8;
    const double s = m_zoom == 1.0 ? std::max(fitScale, std::min(ReadableScale, 1.0)) : std::max(fitScale * m_zoom, 0.2);
    m_canvas->setTransform(QTransform::fromScale(s, s));
    m_canvas->setSceneRect(content);
    m_canvas->centerOn(content.center());
}

bool PipelineView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_canvas->viewport() && event->type() == QEvent::Wheel) {
        auto *wheel = static_cast<QWheelEvent *>(event);
        if (wheel->modifiers() & Qt::ControlModifier) {
            setZoom(wheel->angleDelta().y() > 0 ? m_zoom * 1.25 : m_zoom / 1.25);
            return true;
        }
    }
    if (watched == m_canvas && event->type() == QEvent::Resize)
        QTimer::singleShot(0, this, &PipelineView::fit);
    return QWidget::eventFilter(watched, event);
}

void PipelineView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    m_player->setSuspended(false);
    fit();
}

void PipelineView::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_player->setSuspended(true);
}

} // namespace es
