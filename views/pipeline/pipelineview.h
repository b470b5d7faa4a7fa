#pragma once

#include "pipelinetrace.h"

#include <QHash>
#include <QPointer>
#include <QSet>
#include <QTimer>
#include <QWidget>

class QAction;
class QFormLayout;
class QGraphicsView;
class QGroupBox;
class QLabel;
class QSlider;
class QSpinBox;
class QTableView;

namespace es {

class PipelineDiagram;
class PipelineFlowModel;
class PipelinePlayer;
class Session;

// The pipeline, drawn for demos: client → command → validation → repository →
// aggregate → event store → event bus → each projection and reaction → read
// store. Each command the session runs (and each command another process
// logged, read back from the store) travels along it as a token, resting at
// each stage for a time scaled from the stage's real timing; a rejection stops
// at the stage that rejected it, with the reason; a reaction's command starts
// a new flow from the reaction's box. Play/pause, step stage by stage, speed;
// the recent flows beside the diagram; the projections' delay knobs.
class PipelineView : public QWidget {
    Q_OBJECT
public:
    static constexpr double Speeds[] = {0.25, 0.5, 1.0, 2.0, 4.0, 8.0};

    explicit PipelineView(QWidget *parent = nullptr);
    ~PipelineView() override;

    void setSession(es::Session *session);

    PipelinePlayer *player() const { return m_player; }
    PipelineDiagram *diagram() const { return m_diagram; }
    PipelineFlowModel *flowModel() const { return m_flows; }
    QGraphicsView *canvas() const { return m_canvas; }
    // 1: fit to the canvas (never below a readable scale); more or less from there.
    void setZoom(double zoom);
    double zoom() const { return m_zoom; }
    // The diagram's scale on the canvas.
    double scale() const;
    // The stage the token of the shown flow is at ("validation", "projection:Balances"...;
    // for the fan-out, the first of its boxes); empty when no flow is shown.
    QString currentStage() const;
    QList<PipelineNodeRef> currentNodes() const;
    double speed() const;
    int projectionDelay(const QString &projection) const;

public Q_SLOTS:
    void play();
    void pause();
    void togglePlaying();
    void step();
    void clear();
    void setSpeed(double factor); // snaps to the nearest of Speeds
    // Shows a projection's current delay (from the projection engine); emits nothing.
    void setProjectionDelay(const QString &projection, int delayMs);

Q_SIGNALS:
    void revealEventRequested(qint64 position);
    // The trainer turned a projection's eventual-consistency knob.
    void projectionDelayRequested(const QString &projection, int delayMs);

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void rebuild();
    void rebuildDelays();
    void onCommandExecuted(const es::CommandResult &result);
    void onEventsAppended(const es::EventList &events);
    void processExternal();
    void addFlow(PipelineTrace trace, const EventList &events, bool external);
    void onHop(int serial, int hop);
    void updateControls();
    void fit();
    void rememberCommand(const QString &commandId);

    QPointer<Session> m_session;
    PipelinePlayer *m_player;
    PipelineDiagram *m_diagram;
    PipelineFlowModel *m_flows;
    QGraphicsView *m_canvas;
    double m_zoom = 1.0;
    QTableView *m_table;
    QGroupBox *m_delayBox;
    QFormLayout *m_delayForm;
    QHash<QString, QSpinBox *> m_delaySpins;
    QAction *m_playAction;
    QAction *m_stepAction;
    QAction *m_clearAction;
    QSlider *m_speed;
    QLabel *m_speedLabel;
    QLabel *m_status;

    // Commands run in this process, so their appends are not shown twice.
    QSet<QString> m_localCommands;
    QList<QString> m_localOrder;
    // Recent events by id: where the event that caused a reaction's command is.
    struct KnownEvent {
        qint64 position;
        QString type;
    };
    QHash<QString, KnownEvent> m_knownEvents;
    QList<QString> m_knownOrder;
    EventList m_pendingExternal;
    QTimer m_externalTimer;
};

} // namespace es
