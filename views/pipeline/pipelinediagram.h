#pragma once

#include "pipelineplayer.h"
#include "pipelinetrace.h"

#include <QColor>
#include <QGraphicsScene>
#include <QHash>
#include <QPainterPath>
#include <QPointer>

class QGraphicsPathItem;
class QGraphicsTextItem;
class QVariantAnimation;

namespace es {

class PipelineNodeItem;

// The scene of the pipeline view: the boxes of the pipeline laid out left to
// right (client, command, validation, repository, aggregate, event store, event
// bus), one box per projection and reaction of the pack in a column after the
// bus, the read store after the projections, arrows between them (a reaction's
// arrow loops back to the command box), and the tokens of the flow being shown.
class PipelineDiagram : public QGraphicsScene {
    Q_OBJECT
public:
    explicit PipelineDiagram(QObject *parent = nullptr);

    // Lays the boxes out for a pack (null: the pipeline without projections and reactions).
    void setDomain(const DomainInfo *info);
    // A line shown instead of a flow (nothing open, no pack); empty to hide it.
    void setMessage(const QString &text);
    // The part of the scene worth showing: the view fits it on resize.
    QRectF contentRect() const { return m_content; }

    PipelineNodeItem *node(const QString &key) const { return m_nodes.value(key); }
    QStringList nodeKeys() const { return m_nodes.keys(); }
    bool hasEdge(const QString &from, const QString &to) const;
    // The text of the marker at the stage that rejected the shown flow (empty when none).
    QString stopText() const;
    QString bannerText() const;

    // Shows a flow's token(s) arriving at a hop: travelMs for the journey
    // (0: jump), and per node key extra milliseconds (a projection's delay).
    void showHop(const PipelinePlayer::Flow &flow, int hop, int travelMs, const QHash<QString, int> &extraMs = {});
    void showFinished(const PipelinePlayer::Flow &flow);
    void resetFlow();
    void setQueueInfo(int queued, int skipped);
    void setProjectionDelay(const QString &projection, int delayMs);

    static QColor flowColor(const PipelinePlayer::Flow &flow);

private:
    struct Edge {
        QPainterPath path;
        QGraphicsPathItem *line = nullptr;
        QGraphicsPathItem *head = nullptr;
    };

    void clearAll();
    PipelineNodeItem *addNode(const PipelineNodeRef &ref, const QString &title, const QString &subtitle,
                              const QColor &color, const QPointF &at, qreal width = 124);
    void addEdge(const QString &from, const QString &to, const QPainterPath &path, bool dashed = false);
    void highlightEdge(const QString &from, const QString &to, const QColor &color);
    void addBand(const QRectF &rect, const QString &label, const QColor &color);
    void clearTokens();
    void addToken(const QString &label, const QColor &color, const QPainterPath &route, int durationMs);
    void showStop(const PipelinePlayer::Flow &flow);

    QHash<QString, PipelineNodeItem *> m_nodes;
    QHash<QString, Edge> m_edges; // "from>to"
    QList<QGraphicsItem *> m_tokens;
    QList<QPointer<QVariantAnimation>> m_animations;
    QList<QGraphicsItem *> m_stopItems;
    QGraphicsTextItem *m_banner = nullptr;
    QGraphicsTextItem *m_queueInfo = nullptr;
    QGraphicsTextItem *m_message = nullptr;
    QString m_stopText;
    QRectF m_content;
};

} // namespace es
