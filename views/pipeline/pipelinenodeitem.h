#pragma once

#include "pipelinetrace.h"

#include <QColor>
#include <QGraphicsObject>

namespace es {

// One box of the pipeline diagram: a rounded rectangle with a title, a
// subtitle (the aggregates, a projection's kind, a reaction's event), and,
// while a flow passes, the time the stage took in a badge below it.
class PipelineNodeItem : public QGraphicsObject {
    Q_OBJECT
public:
    static constexpr qreal Width = 124;
    static constexpr qreal WideWidth = 172; // projections and reactions: their names are long
    static constexpr qreal Height = 62;

    enum class Mark { None, Visited, Active, Stopped };

    PipelineNodeItem(const PipelineNodeRef &ref, const QString &title, const QString &subtitle, const QColor &color,
                     qreal width = Width, QGraphicsItem *parent = nullptr);

    const PipelineNodeRef &ref() const { return m_ref; }
    QRectF boundingRect() const override;
    void paint(QPainter *painter, const QStyleOptionGraphicsItem *option, QWidget *widget) override;

    // Centred in the item's coordinates.
    QRectF box() const { return {-m_width / 2, -Height / 2, m_width, Height}; }
    qreal width() const { return m_width; }

    void setMark(Mark mark, const QColor &color = {});
    Mark mark() const { return m_mark; }
    void setBadge(const QString &text); // the stage's time, empty to hide
    QString badge() const { return m_badge; }
    void setNote(const QString &text); // a standing note under the box (a projection's delay)

private:
    PipelineNodeRef m_ref;
    QString m_title;
    QString m_subtitle;
    QColor m_color;
    qreal m_width;
    Mark m_mark = Mark::None;
    QColor m_markColor;
    QString m_badge;
    QString m_note;
};

} // namespace es
