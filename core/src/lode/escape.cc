#include "quarry/lode/run_writer.h"
