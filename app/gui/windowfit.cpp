#include "windowfit.h"

#include <QDockWidget>
#include <QMainWindow>
#include <QScreen>
#include <QScrollArea>

using namespace Qt::StringLiterals;

namespace windowfit {

QDockWidget *addDock(QMainWindow *window, QWidget *view, const QString &title, const QString &objectName,
                     Qt::DockWidgetArea area)
{
    auto *dock = new QDockWidget(title, window);
    dock->setObjectName(objectName); // the saveState/restoreState key
    auto *scroll = new QScrollArea(dock);
    scroll->setObjectName(objectName + u"Scroll"_s);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    scroll->setWidget(view);
    dock->setWidget(scroll);
    window->addDockWidget(area, dock);
    return dock;
}

QDockWidget *dockOf(const QWidget *view)
{
    for (QWidget *p = view ? view->parentWidget() : nullptr; p; p = p->parentWidget())
        if (auto *dock = qobject_cast<QDockWidget *>(p))
            return dock;
    return nullptr;
}

QRect defaultFrameGeometry(const QScreen *screen)
{
    const QRect avail = screen->availableGeometry();
    QRect r(QPoint(0, 0), avail.size() * 0.9);
    r.moveCenter(avail.center());
    return r;
}

void clampToScreen(QWidget *window)
{
    if (window->isMaximized() || window->isFullScreen() || !window->screen())
        return;
    const QRect avail = window->screen()->availableGeometry();
    const QRect frame = window->frameGeometry();
    const QSize margins = frame.size() - window->size(); // the window manager's frame
    const QSize inner = window->size().boundedTo(avail.size() - margins);
    if (inner != window->size())
        window->resize(inner);
    QRect moved(frame.topLeft(), inner + margins);
    if (moved.right() > avail.right())
        moved.moveRight(avail.right());
    if (moved.bottom() > avail.bottom())
        moved.moveBottom(avail.bottom());
    if (moved.left() < avail.left())
        moved.moveLeft(avail.left());
    if (moved.top() < avail.top())
        moved.moveTop(avail.top());
    if (moved.topLeft() != frame.topLeft())
        window->move(moved.topLeft());
}

} // namespace windowfit
