#pragma once

#include <Qt>

class QDockWidget;
class QMainWindow;
class QRect;
class QScreen;
class QString;
class QWidget;

// How the main window keeps to the screen it is on: its default size comes from
// the screen, a restored geometry is clamped to it, and a dock's content scrolls
// inside the dock instead of pushing the window past the screen's edge.
namespace windowfit {

// A dock holding the view inside a frameless scroll area: the dock can shrink
// below the view's minimum size (the view scrolls then), so no view's minimum
// size can make the window grow.
QDockWidget *addDock(QMainWindow *window, QWidget *view, const QString &title, const QString &objectName,
                     Qt::DockWidgetArea area);
// The dock a view sits in (through its scroll area), or null.
QDockWidget *dockOf(const QWidget *view);

// The frame geometry a window gets on a screen when nothing was saved: 90% of
// the available area, centred.
QRect defaultFrameGeometry(const QScreen *screen);
// Moves and shrinks the window so that its frame lies within its screen's
// available area (a maximised or full-screen window is left alone).
void clampToScreen(QWidget *window);

} // namespace windowfit
