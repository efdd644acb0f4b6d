"""The HR web console (大堂之星控制台): thin function views, one module per part of the work."""
