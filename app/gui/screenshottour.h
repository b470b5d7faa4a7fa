#pragma once

#include <QString>

class MainWindow;

// The pictures in the README: puts something worth seeing in every view of an
// open window (the newest event selected, an aggregate in time travel, the store
// as of half its history, a what-if fork, a few commands animating through the
// pipeline, the pack compared with a variant of itself), then saves the window
// and each dock into dir and quits the application. It sends three commands to
// the open store (a deposit, a transfer, a rejected withdrawal): use a scratch copy.
void takeScreenshotTour(MainWindow &window, const QString &dir);
