/* ravel classic corpus: reorder_100: reorder.c with NUM_THREADS 100 (see its header). */
#define NUM_THREADS 100
#include "reorder.c"
